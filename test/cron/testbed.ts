/**
 * The real control plane of test/testbed (etcd, kube-apiserver, kube-controller-manager, kube-scheduler; no
 * kubelet) for the CronJob tests, through test/testbed/scripts.ts as for the e2e project: build.sh first
 * (with a cold build's long limit), then start.sh (short limit). When that fails the tests fail: a missing
 * control plane is never a skip.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchTestbed } from "../testbed/scripts.js";

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

/** Starts a fresh control plane in a temporary directory; stopped with stop() (and by a watchdog if we die). */
export async function startTestbed(): Promise<Testbed> {
  const tb = await launchTestbed("kau-cron-testbed-");
  return {
    dir: tb.dir,
    kubeconfig: tb.kubeconfig,
    kubectl: join(tb.bin, "kubectl"),
    apiserver: tb.apiserver,
    ca: tb.ca,
    stop: tb.stop,
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
