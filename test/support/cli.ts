/**
 * Runs the CLI: the built bin/kubectl-autoupdate in a child process, as users run it (runCli), or main() in
 * this process with collected streams (runMain), which is faster and lets a test abort it.
 */
import { execFile } from "node:child_process";
import { homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { Io } from "../../src/io.js";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
export const cliPath = join(repoRoot, "bin", "kubectl-autoupdate");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input = ""): Promise<CliResult> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [cliPath, ...args],
      { env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 256 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
    // It may end without reading its input (a usage error): its exit says so, not a write's EPIPE.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
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

/**
 * Runs `kubectl-autoupdate ARGS` as main() in this process; env is what the CLI sees as its environment
 * (the programs it starts inherit this process's).
 */
export async function runMain(
  args: string[],
  options: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<CliResult> {
  // Loaded on first use: files that only spawn the built CLI don't pay for loading the sources.
  const { main } = await import("../../src/main.js");
  const stdout = collector();
  const stderr = collector();
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  const io: Io = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin,
    env: { NO_COLOR: "1", ...options.env },
    // As bin.ts reads them, so a test's HOME is the home its run reads.
    home: options.env?.["HOME"] || homedir(),
    hostname: hostname(),
    signal: options.signal ?? new AbortController().signal,
  };
  const code = await main(args, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
