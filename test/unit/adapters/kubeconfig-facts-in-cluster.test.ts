/**
 * The CronJob's pod has no kubeconfig: kubectl uses the in-cluster config (the pod's ServiceAccount). A
 * failure to reach or be let into the cluster names that, not a kubeconfig file the job never uses.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

// The pod's mounted ServiceAccount (as client-go's in-cluster check and default-namespace.ts's probe see it).
const sa = "/var/run/secrets/kubernetes.io/serviceaccount";
vi.mock("node:fs", async (original) => {
  const fs = await original<typeof import("node:fs")>();
  const statSync = ((path: string, ...rest: unknown[]) =>
    String(path).startsWith(sa)
      ? ({ isFile: () => true } as ReturnType<typeof fs.statSync>)
      : (fs.statSync as (...a: unknown[]) => unknown)(path, ...rest)) as typeof fs.statSync;
  const readFileSync = ((path: unknown, ...rest: unknown[]) =>
    String(path) === `${sa}/namespace`
      ? "tools"
      : (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest)) as typeof fs.readFileSync;
  const existsSync = (path: unknown) => String(path).startsWith(sa) || fs.existsSync(path as string);
  return {
    ...fs,
    default: { ...fs, statSync, readFileSync, existsSync },
    statSync,
    readFileSync,
    existsSync,
  };
});

const { kubectlFailure, ClusterAccessError } = await import("../../../src/adapters/kubectl-errors.js");
const { explainClusterAccess } = await import("../../../src/adapters/kubeconfig-facts.js");

/**
 * The environment the CronJob's container runs with (install-objects.ts sets HOME=/tmp; the kubelet
 * the rest).
 */
const podEnv = {
  HOME: "/nonexistent/home",
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  KUBECTL_AUTOUPDATE_JOB: "kubectl-autoupdate-29926880",
  KUBECTL_AUTOUPDATE_JOB_NAMESPACE: "tools",
};

const refused =
  "The connection to the server 10.96.0.1:443 was refused - did you specify the right host or port?\n";

/** The one line for kubectl's `stderr`, in the pod's environment; no kubectl runs unless one is given. */
async function explained(
  stderr: string,
  env: Record<string, string> = podEnv,
  kubectlPath = "/nonexistent/kubectl",
  connection: Record<string, string> = {},
): Promise<string> {
  const error = kubectlFailure(
    { exitCode: 1, stdout: "", stderr, interrupted: false } as never,
    "kubectl get",
  );
  expect(error).toBeInstanceOf(ClusterAccessError);
  const access = error as InstanceType<typeof ClusterAccessError>;
  return (await explainClusterAccess(access, env, { kubectlPath, connection })).message;
}

describe("the job's last log line when the API server refuses the in-cluster connection", () => {
  it("does not say that no cluster is configured, nor point at a kubeconfig the job does not use", async () => {
    const message = await explained(refused);
    expect(message).not.toMatch(/no cluster configured|kind create cluster/);
    expect(message).not.toContain(".kube/config");
    expect(message).toContain("10.96.0.1:443");
  });

  it("an Unauthorized in-cluster token is not blamed on a kubeconfig from 'your cluster's provider'", async () => {
    const message = await explained("error: You must be logged in to the server (Unauthorized)\n");
    expect(message).not.toContain(".kube/config");
    expect(message).not.toMatch(/get a current kubeconfig/);
  });

  it("$KUBECONFIG naming files that do not exist is no kubeconfig either: kubectl used the in-cluster config", async () => {
    const message = await explained(refused, { ...podEnv, KUBECONFIG: "/nonexistent/kubeconfig" });
    expect(message).toContain("(in-cluster config: this pod's ServiceAccount)");
  });

  /** The line for a refused connection, with a kubeconfig file whose `config view` prints `view`. */
  async function refusedWith(view: object, connection: Record<string, string> = {}): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "kau-in-cluster-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, "");
    const kubectl = join(dir, "kubectl");
    writeFileSync(kubectl, `#!/bin/sh\necho '${JSON.stringify(view)}'\n`, { mode: 0o755 });
    const message = await explained(refused, { ...podEnv, KUBECONFIG: kubeconfig }, kubectl, connection);
    rmSync(dir, { recursive: true });
    return message;
  }
  const empty = {
    kind: "Config",
    apiVersion: "v1",
    clusters: null,
    users: null,
    contexts: null,
    "current-context": "",
  };

  it("a kubeconfig that names no context (an empty file a CI image made), or one naming neither cluster nor user, is none either", async () => {
    expect(await refusedWith(empty)).toContain("(in-cluster config: this pod's ServiceAccount)");
    const namespaceOnly = {
      ...empty,
      contexts: [{ name: "ci", context: { namespace: "ci" } }],
      "current-context": "ci",
    };
    expect(await refusedWith(namespaceOnly)).toContain("(in-cluster config: this pod's ServiceAccount)");
    // Names the kubeconfig does not have are none: kubectl takes the defaults for them.
    const dangling = {
      ...empty,
      contexts: [{ name: "ci", context: { cluster: "gone", user: "gone" } }],
      "current-context": "ci",
    };
    expect(await refusedWith(dangling)).toContain("(in-cluster config: this pod's ServiceAccount)");
  });

  it("a flag that sets a connection setting (--request-timeout) keeps kubectl off the in-cluster config", async () => {
    const message = await refusedWith(empty, { requestTimeout: "5s" });
    expect(message).toMatch(/^no cluster configured: kubeconfig \S+ from \$KUBECONFIG has no contexts/);
    expect(message).not.toContain("in-cluster config");
  });

  it("a zero --request-timeout is kubectl's default, so kubectl still used the in-cluster config", async () => {
    for (const requestTimeout of ["0", "0s", "0m0s"]) {
      expect(await refusedWith(empty, { requestTimeout })).toContain(
        "(in-cluster config: this pod's ServiceAccount)",
      );
    }
    expect(await refusedWith(empty, { requestTimeout: "0.5s" })).not.toContain("in-cluster config");
  });
});
