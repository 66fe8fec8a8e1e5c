/**
 * uninstall-cron by someone who may not list ClusterRoles (a namespace admin), over each kind of install:
 * an -A install's ClusterRoleBinding must not outlive its ServiceAccount unsaid. kubectl is answered
 * in-process (test/support/install-cluster.ts); the real API server's refusals are in the e2e tests.
 */
import { describe, expect, it } from "vitest";
import {
  type UninstallCronOptions,
  uninstallCronCommand,
} from "../../../../src/cron/commands/uninstall-cron.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { cronVerbDeps, InstallCluster } from "../../../support/install-cluster.js";
import { installedObjects, withJobCommand } from "../../../support/install-spec.js";

const options: UninstallCronOptions = {
  name: "kubectl-autoupdate",
  namespace: "tools",
  dryRun: false,
  connection: {},
  kubectlPath: "kubectl",
  color: "never",
  verbose: false,
};
const forbidden =
  'kubectl get failed: Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden: User "ns-admin" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope';

async function uninstall(cluster: InstallCluster, dryRun = false) {
  const { deps, out } = cronVerbDeps(cluster.exec);
  const error = await uninstallCronCommand(deps, { ...options, dryRun }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, out };
}

describe("uninstall-cron when ClusterRoles may not be listed", () => {
  it.each([false, true])(
    "an -A install (--dry-run %s): nothing deleted, the cluster-wide objects named, and who must run it",
    async (dryRun) => {
      const cluster = new InstallCluster(installedObjects(true)).refuseClusterLists();
      const { error, out } = await uninstall(cluster, dryRun);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect((error as Error).message).toBe(
        `the CronJob tools/kubectl-autoupdate checks every namespace (-A), and clusterrole/tools:kubectl-autoupdate and clusterrolebinding/tools:kubectl-autoupdate, which grant its ServiceAccount rights in every namespace, cannot be looked for, so nothing was deleted; someone allowed to list and delete ClusterRoles and ClusterRoleBindings must run uninstall-cron: ${forbidden}`,
      );
      expect(cluster.calls.filter((c) => c.args[0] === "delete")).toEqual([]);
      expect(out.stdout).toBe("");
    },
  );

  it.each(["--all-namespaces=True", "-Av"])(
    "an -A install whose command was edited by hand to %s, which apply also takes: nothing deleted",
    async (flag) => {
      const edited = withJobCommand(installedObjects(true), (words) =>
        words.map((word) => (word === "--all-namespaces" ? flag : word)),
      );
      const cluster = new InstallCluster(edited).refuseClusterLists();
      const { error } = await uninstall(cluster);
      expect(error).toBeInstanceOf(ToolFailedError);
      expect(cluster.calls.filter((c) => c.args[0] === "delete")).toEqual([]);
    },
  );

  it("a namespaced install: its objects deleted, with the warning as before", async () => {
    const cluster = new InstallCluster(installedObjects(false)).refuseClusterLists();
    const { error, out } = await uninstall(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toBe(
      `Warning: could not look for the cluster-wide objects of an -A install: ${forbidden}\n`,
    );
    expect(cluster.held()).toEqual([]);
  });

  it("no CronJob left to tell the scope: the rest deleted, the objects not looked for named", async () => {
    const halfRemoved = installedObjects(true).filter(
      (o) => o.kind === "ServiceAccount" || o.kind === "ConfigMap",
    );
    const cluster = new InstallCluster(halfRemoved).refuseClusterLists();
    const { error, out } = await uninstall(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toBe(
      `Warning: could not look for the cluster-wide objects of an -A install (clusterrole/tools:kubectl-autoupdate, clusterrolebinding/tools:kubectl-autoupdate): ${forbidden}\n`,
    );
    expect(out.stdout).toBe(
      "configmap/kubectl-autoupdate deleted\nserviceaccount/kubectl-autoupdate deleted\n",
    );
  });

  it("the warning quotes the cluster escaped for the terminal", async () => {
    const hostile = "Error from server (Forbidden): denied by webhook: \u001b]0;owned\u0007\u001b[1A\n";
    const cluster = new InstallCluster(installedObjects(false)).refuse(
      (call) => call.args[0] === "get" && call.args[1]!.includes("clusterrole"),
      hostile,
    );
    const { out } = await uninstall(cluster);
    expect(out.stderr).toContain("denied by webhook: ^[]0;owned^G^[[1A");
    expect(out.stderr).not.toContain("\u001b");
  });

  it("an -A install, ClusterRoles listed: all of it deleted, the ClusterRoleBinding with it", async () => {
    const cluster = new InstallCluster(installedObjects(true));
    const { error } = await uninstall(cluster);
    expect(error).toBeUndefined();
    expect(cluster.held()).toEqual([]);
  });

  it("the grants go before the ServiceAccount: a deletion cut short leaves no binding to every namespace for the next account of the name", async () => {
    const cluster = new InstallCluster(installedObjects(true));
    await uninstall(cluster);
    const deletion = cluster.calls.find((c) => c.args[0] === "delete" && !c.dryRun)!;
    const kinds = deletion.args.filter((a) => a.includes("/")).map((ref) => ref.replace(/[./].*$/, ""));
    // The CronJob first (no new run), the ServiceAccount last.
    expect(kinds).toEqual([
      "cronjobs",
      "clusterrolebindings",
      "clusterroles",
      "configmaps",
      "rolebindings",
      "roles",
      "serviceaccounts",
    ]);
  });

  it("a ClusterRoleBinding that may be listed but not deleted: nothing deleted, the ServiceAccount kept", async () => {
    const cluster = new InstallCluster(installedObjects(true)).refuse(
      (c) => c.args[0] === "delete" && c.args.some((a) => a.startsWith("clusterrolebinding")),
      "Error from server (Forbidden): clusterrolebindings.rbac.authorization.k8s.io is forbidden\n",
    );
    const { error, out } = await uninstall(cluster);
    expect((error as Error).message).toMatch(/^nothing was deleted: the server refused part of it: /);
    expect(cluster.writes()).toEqual([]);
    expect(cluster.held()).toEqual(installedObjects(true).map((o) => `${o.kind}/${o.metadata.name}`));
    expect(out.stdout).toBe("");
  });
});

describe("uninstall-cron refused part way", () => {
  it("the deletion after it, cut short: names what kubectl deleted all the same, and says to run it again", async () => {
    const cluster = new InstallCluster(installedObjects(false));
    // kubectl deletes in order and goes on past a failure: here the last object's deletion times out.
    const exec: typeof cluster.exec = async (file, argv, options) => {
      if (argv[0] !== "delete" || argv.includes("--dry-run=server")) return cluster.exec(file, argv, options);
      const refs = argv.filter((a) => a.includes("/"));
      const others = argv.filter((a) => !a.includes("/"));
      const done = await cluster.exec(
        file,
        [...others.slice(0, 1), ...refs.slice(0, -1), ...others.slice(1)],
        options,
      );
      const stderr =
        "Error from server (InternalError): Internal error occurred: etcdserver: request timed out\n";
      return { ...done, exitCode: 1, stderr };
    };
    const { deps, out } = cronVerbDeps(exec);
    const error = await uninstallCronCommand(deps, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as Error).message).toBe(
      "kubectl delete failed: Error from server (InternalError): Internal error occurred: etcdserver: request timed out; deleted all the same: cronjob.batch/kubectl-autoupdate, configmap/kubectl-autoupdate, rolebinding.rbac.authorization.k8s.io/kubectl-autoupdate, role.rbac.authorization.k8s.io/kubectl-autoupdate; run uninstall-cron again to delete the rest",
    );
    expect(out.stdout).toBe("");
  });

  it("its server dry run refused part way: nothing was deleted, and the error names nothing as deleted", async () => {
    const cluster = new InstallCluster(installedObjects(true));
    const before = cluster.held().length;
    // The dry run goes on past the binding it may not delete, and names the others as -o name does.
    const exec: typeof cluster.exec = async (file, argv, options) => {
      if (argv[0] !== "delete" || !argv.includes("--dry-run=server"))
        return cluster.exec(file, argv, options);
      const done = await cluster.exec(
        file,
        argv.filter((a) => !a.startsWith("clusterrolebindings")),
        options,
      );
      const stderr =
        'Error from server (Forbidden): clusterrolebindings.rbac.authorization.k8s.io "tools:kubectl-autoupdate" is forbidden\n';
      return { ...done, exitCode: 1, stderr };
    };
    const { deps } = cronVerbDeps(exec);
    const error = await uninstallCronCommand(deps, options).catch((e: unknown) => e);
    expect(cluster.held()).toHaveLength(before);
    expect((error as Error).message).toBe(
      'nothing was deleted: the server refused part of it: kubectl delete failed: Error from server (Forbidden): clusterrolebindings.rbac.authorization.k8s.io "tools:kubectl-autoupdate" is forbidden',
    );
  });
});
