/**
 * Drives the fake kubectl (test/bin/kubectl): a state file of objects, faults and rules it answers from, and
 * the log of every call it got.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./cli.js";
import { dockerConfigSecret } from "./workloads.js";

/** The fakes' directory: first on PATH, the fake kubectl shadows a real one. */
export const fakeBin = join(repoRoot, "test", "bin");
export const fakeKubectl = join(fakeBin, "kubectl");

export interface KubectlCall {
  argv: string[];
  stdin: string;
  /** The variables named in $FAKE_KUBECTL_LOG_ENV as this call saw them (null: unset). */
  env?: Record<string, string | null>;
}

/** What the fake prints and how it exits. */
export interface FakeResponse {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export interface FakeState {
  pods?: unknown[];
  objects?: unknown[];
  secrets?: unknown[];
  serviceAccounts?: unknown[];
  /** Calls whose joined argv contains the key fail this way (exit 1 unless said otherwise). */
  faults?: Record<string, FakeResponse>;
  /** Every Event created (`create -f -` of an Event) is refused this way (RBAC, admission). */
  eventFault?: FakeResponse;
}

/** A fake cluster behind test/bin/kubectl: objects in a state file, faults and rules, every call logged. */
export class FakeCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "kau-fake-kubectl-"));
  readonly statePath = join(this.dir, "state.json");
  readonly logPath = join(this.dir, "calls.jsonl");

  constructor(state: FakeState = {}) {
    writeFileSync(this.statePath, JSON.stringify({ pods: [], ...state }));
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

  /** For the CLI run in this process (runMain): the kubectl it starts inherits this process's environment. */
  use(): void {
    process.env["FAKE_KUBECTL_STATE"] = this.statePath;
    process.env["FAKE_KUBECTL_LOG"] = this.logPath;
  }

  /**
   * Answer calls whose argv holds every element of `match` with these responses in turn (the last repeats;
   * exit 0 unless said otherwise). The first matching rule answers.
   */
  on(match: string[], ...responses: FakeResponse[]): this {
    const state = JSON.parse(readFileSync(this.statePath, "utf8")) as { rules?: unknown[] };
    state.rules = [...(state.rules ?? []), { match, responses }];
    writeFileSync(this.statePath, JSON.stringify(state));
    return this;
  }

  calls(): KubectlCall[] {
    return readFileSync(this.logPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as KubectlCall);
  }

  /** Calls that could change the cluster (apply, create, delete, patch, replace, edit). */
  writes(): KubectlCall[] {
    return this.calls().filter((c) =>
      c.argv.some((a) => ["apply", "create", "delete", "patch", "replace", "edit"].includes(a)),
    );
  }

  /** The Events created (their objects, from the calls' stdin), refused ones included. */
  events(): Record<string, unknown>[] {
    return this.calls()
      .filter((c) => c.argv.includes("create") && c.stdin.includes('"kind":"Event"'))
      .map((c) => JSON.parse(c.stdin) as Record<string, unknown>);
  }

  /** Pods still in the cluster (deletions remove them). */
  podNames(): string[] {
    const state = JSON.parse(readFileSync(this.statePath, "utf8")) as {
      pods: { metadata: { name: string } }[];
    };
    return state.pods.map((p) => p.metadata.name);
  }
}

/** A kubernetes.io/dockerconfigjson secret as the API returns it (with the UID the server gives it). */
export function pullSecret(
  name: string,
  namespace: string,
  auths: Record<string, { username: string; password: string }>,
) {
  const secret = dockerConfigSecret(name, namespace, auths);
  return { ...secret, metadata: { ...secret.metadata, uid: `uid-${name}` } };
}
