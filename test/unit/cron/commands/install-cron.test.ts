/**
 * install-cron over what is already there: an earlier install of the other scope, and ClusterRoles the user
 * may not list (a namespace admin). kubectl is answered in-process (test/support/install-cluster.ts); the
 * real API server's refusals are in the e2e tests.
 */
import { describe, expect, it } from "vitest";
import { type InstallCronOptions, installCronCommand } from "../../../../src/cron/commands/install-cron.js";
import { buildInstallObjects } from "../../../../src/cron/core/objects.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { InstallCluster, installDeps } from "../../../support/install-cluster.js";

const spec = {
  name: "kubectl-autoupdate",
  schedule: "*/10 * * * *",
  suspend: false,
  resolver: "registry" as const,
  dockerSocket: false,
  image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0",
};
/** What an earlier install-cron -n tools (-A) made, as the server holds it. */
const installed = (allNamespaces: boolean) =>
  buildInstallObjects({ ...spec, namespace: "tools", allNamespaces }).map((o) => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: "7" },
  }));
const forbidden =
  'kubectl get failed: Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden: User "ns-admin" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope';

async function install(cluster: InstallCluster, allNamespaces = false) {
  const options: InstallCronOptions = {
    name: spec.name,
    namespace: "tools",
    connection: {},
    kubectlPath: "kubectl",
    color: "never",
    verbose: false,
    spec: { ...spec, allNamespaces },
    dryRun: false,
  };
  const { deps, out } = installDeps(cluster.exec);
  const error = await installCronCommand(deps, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, out };
}

describe("install-cron when ClusterRoles may not be listed", () => {
  it("narrowing an -A install: nothing applied or deleted, the cluster-wide objects named, and who must run it", async () => {
    const cluster = new InstallCluster(installed(true)).refuseClusterLists();
    const { error, out } = await install(cluster);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as Error).message).toBe(
      `the CronJob tools/kubectl-autoupdate checks every namespace (-A), and clusterrole/tools:kubectl-autoupdate and clusterrolebinding/tools:kubectl-autoupdate, which grant its ServiceAccount rights in every namespace, cannot be looked for, so nothing was changed; someone allowed to list and delete ClusterRoles and ClusterRoleBindings must run this install-cron: ${forbidden}`,
    );
    expect(cluster.calls.map((c) => c.args[0])).toEqual(["get", "get", "get"]);
    expect(out.stdout).toBe("");
  });

  it("a first install: installed, the -A objects it could not look for named", async () => {
    const cluster = new InstallCluster().refuseClusterLists();
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      `warning: could not look for leftovers of an earlier -A install (clusterrole/tools:kubectl-autoupdate, clusterrolebinding/tools:kubectl-autoupdate): ${forbidden}\n`,
    );
    expect(out.stdout).toContain("cronjob.batch/kubectl-autoupdate created\n");
  });

  it("over a namespaced install: installed, with the warning as before", async () => {
    const cluster = new InstallCluster(installed(false)).refuseClusterLists();
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      `warning: could not look for leftovers of an earlier install: ${forbidden}\n`,
    );
  });

  it("-A over an -A install: the ClusterRole is its own, installed with the warning as before", async () => {
    const cluster = new InstallCluster(installed(true)).refuseClusterLists();
    const { error, out } = await install(cluster, true);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      `warning: could not look for leftovers of an earlier install: ${forbidden}\n`,
    );
  });
});

describe("install-cron switching scope", () => {
  it("narrowing an -A install deletes its ClusterRole and ClusterRoleBinding", async () => {
    const cluster = new InstallCluster(installed(true));
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stdout).toContain(
      "clusterrolebinding.rbac.authorization.k8s.io/tools:kubectl-autoupdate deleted (left from a cluster-wide (-A) install)\n",
    );
    expect(cluster.held().filter((ref) => ref.startsWith("Cluster"))).toEqual([]);
  });
});
