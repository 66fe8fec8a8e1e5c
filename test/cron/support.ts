/** Runs the CLI in-process (main()) with collected streams, and drives the fake kubectl of test/cron/bin. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { Io } from "../../src/io.js";
import { main } from "../../src/main.js";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
export const fakeKubectl = join(repoRoot, "test", "cron", "bin", "kubectl");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join("") };
}

/** Runs `kubectl-autoupdate ARGS` in this process; env is what the CLI sees as its environment. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  const io: Io = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin,
    env: { NO_COLOR: "1", ...options.env },
    signal: options.signal ?? new AbortController().signal,
  };
  const code = await main(args, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

export interface KubectlCall {
  argv: string[];
  stdin: string;
}

export interface FakeResponse {
  stdout?: string;
  stderr?: string;
  exit?: number;
}

/** A directory of calls and rules for the fake kubectl; `use()` points the child processes at it. */
export class FakeKubectl {
  readonly dir = mkdtempSync(join(tmpdir(), "kau-cron-fake-"));
  private readonly rules: { match: string[]; responses: FakeResponse[] }[] = [];

  constructor() {
    writeFileSync(join(this.dir, "calls.jsonl"), "");
    writeFileSync(join(this.dir, "rules.json"), "[]");
  }

  /** The fake's children read FAKE_KUBECTL_DIR from the process environment (exec extends it). */
  use(): void {
    process.env["FAKE_KUBECTL_DIR"] = this.dir;
  }

  /** Answer calls whose argv contains every element of `match`, with these responses in turn. */
  on(match: string[], ...responses: FakeResponse[]): this {
    this.rules.push({ match, responses });
    writeFileSync(join(this.dir, "rules.json"), JSON.stringify(this.rules));
    return this;
  }

  calls(): KubectlCall[] {
    return readFileSync(join(this.dir, "calls.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as KubectlCall);
  }

  /** Calls that could change the cluster (apply, create, delete, patch, replace, edit). */
  writes(): KubectlCall[] {
    return this.calls().filter((c) =>
      c.argv.some((a) => ["apply", "create", "delete", "patch", "replace", "edit"].includes(a)),
    );
  }
}
