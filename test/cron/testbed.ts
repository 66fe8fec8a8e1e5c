/**
 * The real control plane of test/testbed (etcd, kube-apiserver, kube-controller-manager, kube-scheduler; no
 * kubelet) for the CronJob tests. start.sh builds the binaries when the cache lacks them; when that fails the
 * tests fail: a missing control plane is never a skip.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./support.js";

export interface Testbed {
  dir: string;
  kubeconfig: string;
  kubectl: string;
  apiserver: string;
  ca: string;
  stop(): Promise<void>;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never throws for a non-zero exit. */
export function run(file: string, args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(
      file,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}

const script = (name: string) => join(repoRoot, "test", "testbed", name);

/** Starts a fresh control plane in a temporary directory; stopped with stop() (and by a watchdog if we die). */
export async function startTestbed(): Promise<Testbed> {
  const dir = mkdtempSync(join(tmpdir(), "kau-cron-testbed-"));
  const started = await run(script("start.sh"), [dir], undefined, {
    TESTBED_WATCH_PID: String(process.pid),
    TESTBED_START_TIMEOUT: "180",
  });
  const stop = async () => {
    await run(script("stop.sh"), [dir]);
  };
  if (started.code !== 0) {
    await stop();
    throw new Error(`test/testbed/start.sh failed (exit ${started.code}):\n${started.stderr.slice(-3000)}`);
  }
  const env = Object.fromEntries(
    readFileSync(join(dir, "env"), "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replace(/^'(.*)'$/, "$1")]),
  );
  return {
    dir,
    kubeconfig: env["KUBECONFIG"]!,
    kubectl: join(env["TESTBED_BIN"]!, "kubectl"),
    apiserver: env["TESTBED_APISERVER"]!,
    ca: env["TESTBED_CA"]!,
    stop,
  };
}

/** A kubeconfig that authenticates with a ServiceAccount token, as the job's pod does in-cluster. */
export function tokenKubeconfig(testbed: Testbed, name: string, namespace: string, token: string): string {
  const path = join(testbed.dir, `sa-${namespace}-${name}.kubeconfig`);
  const ca = readFileSync(testbed.ca).toString("base64");
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: testbed",
      "  cluster:",
      `    server: ${testbed.apiserver}`,
      `    certificate-authority-data: ${ca}`,
      "users:",
      "- name: sa",
      "  user:",
      `    token: ${token}`,
      "contexts:",
      "- name: sa",
      "  context: {cluster: testbed, user: sa, namespace: " + namespace + "}",
      "current-context: sa",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return path;
}
