/** Runs the built CLI as users do, with a fake or real kubectl on PATH, and reads what it asked kubectl. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
export const cliPath = join(repoRoot, "bin", "kubectl-autoupdate");
export const fakeBin = join(repoRoot, "test", "bin");

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
    child.stdin?.end(input);
  });
}

export interface KubectlCall {
  argv: string[];
  stdin: string;
}

/** A fake cluster for test/bin/kubectl: objects in a state file, every call logged. */
export class FakeCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "kau-fake-kubectl-"));
  readonly statePath = join(this.dir, "state.json");
  readonly logPath = join(this.dir, "calls.jsonl");

  constructor(state: {
    pods: unknown[];
    objects?: unknown[];
    secrets?: unknown[];
    serviceAccounts?: unknown[];
    faults?: Record<string, { stderr?: string; stdout?: string; exitCode?: number }>;
  }) {
    writeFileSync(this.statePath, JSON.stringify(state));
    writeFileSync(this.logPath, "");
  }

  /** Environment that puts the fake kubectl first on PATH. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${fakeBin}:${process.env["PATH"]}`,
      FAKE_KUBECTL_STATE: this.statePath,
      FAKE_KUBECTL_LOG: this.logPath,
      KUBECTL_PATH: "",
      ...extra,
    };
  }

  calls(): KubectlCall[] {
    return readFileSync(this.logPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as KubectlCall);
  }

  /** Pods still in the cluster (deletions remove them). */
  podNames(): string[] {
    const state = JSON.parse(readFileSync(this.statePath, "utf8")) as {
      pods: { metadata: { name: string } }[];
    };
    return state.pods.map((p) => p.metadata.name);
  }
}

/** A kubernetes.io/dockerconfigjson secret as the API returns it. */
export function pullSecret(
  name: string,
  namespace: string,
  auths: Record<string, { username: string; password: string }>,
) {
  const config = {
    auths: Object.fromEntries(
      Object.entries(auths).map(([host, { username, password }]) => [
        host,
        { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") },
      ]),
    ),
  };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, uid: `uid-${name}` },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(JSON.stringify(config)).toString("base64") },
  };
}
