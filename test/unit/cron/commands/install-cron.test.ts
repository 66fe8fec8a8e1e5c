/**
 * install-cron over what is already there: an earlier install of the other scope, and ClusterRoles the user
 * may not list (a namespace admin). kubectl is answered in-process (test/support/install-cluster.ts); the
 * real API server's refusals are in the e2e tests.
 */
import { describe, expect, it } from "vitest";
import type { Exec } from "../../../../src/adapters/exec.js";
import { Kubectl } from "../../../../src/adapters/kubectl.js";
import { ClusterAccessError } from "../../../../src/adapters/kubectl-errors.js";
import { type InstallCronOptions, installCronCommand } from "../../../../src/cron/commands/install-cron.js";
import { buildInstallObjects } from "../../../../src/cron/core/install-objects.js";
import type { CronJobObject } from "../../../../src/cron/core/jobs.js";
import { jobContainerOf } from "../../../../src/cron/core/status.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { cronVerbDeps, InstallCluster } from "../../../support/install-cluster.js";
import { installedObjects, installSpec } from "../../../support/install-spec.js";

const spec = installSpec();
const forbidden =
  'kubectl get failed: Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden: User "ns-admin" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope';

async function install(cluster: InstallCluster, allNamespaces = false, exec: Exec = cluster.exec) {
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
  const { deps, out } = cronVerbDeps(exec);
  const error = await installCronCommand(deps, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, out };
}

describe("install-cron when ClusterRoles may not be listed", () => {
  it("narrowing an -A install: nothing applied or deleted, the cluster-wide objects named, and who must run it", async () => {
    const cluster = new InstallCluster(installedObjects(true)).refuseClusterLists();
    const { error, out } = await install(cluster);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as Error).message).toBe(
      `the CronJob tools/kubectl-autoupdate checks every namespace (-A), and clusterrole/tools:kubectl-autoupdate and clusterrolebinding/tools:kubectl-autoupdate, which grant its ServiceAccount rights in every namespace, cannot be looked for, so nothing was changed; someone allowed to list and delete ClusterRoles and ClusterRoleBindings must run this install-cron: ${forbidden}`,
    );
    expect(cluster.calls.map((c) => c.args[0])).toEqual(["get", "get", "get", "get"]);
    expect(out.stdout).toBe("");
  });

  it("a first install: installed, the -A objects it could not look for named", async () => {
    const cluster = new InstallCluster().refuseClusterLists();
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      `Warning: could not look for leftovers of an earlier -A install (clusterrole/tools:kubectl-autoupdate, clusterrolebinding/tools:kubectl-autoupdate): ${forbidden}\n`,
    );
    expect(out.stdout).toContain("cronjob.batch/kubectl-autoupdate created\n");
  });

  it("the warning quotes the cluster escaped for the terminal", async () => {
    const hostile = "Error from server (Forbidden): denied by webhook: \u001b]0;owned\u0007\u001b[1A\n";
    const cluster = new InstallCluster().refuse(
      (call) => call.args[0] === "get" && call.args[1]!.includes("clusterrole"),
      hostile,
    );
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain("denied by webhook: ^[]0;owned^G^[[1A");
    expect(out.stderr).not.toContain("\u001b");
  });

  it("over a namespaced install: installed, with the warning as before", async () => {
    const cluster = new InstallCluster(installedObjects(false)).refuseClusterLists();
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      `Warning: could not look for leftovers of an earlier install: ${forbidden}\n`,
    );
  });

  it("-A over an -A install: the ClusterRole is its own, installed with the warning as before", async () => {
    const cluster = new InstallCluster(installedObjects(true)).refuseClusterLists();
    const { error, out } = await install(cluster, true);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      `Warning: could not look for leftovers of an earlier install: ${forbidden}\n`,
    );
  });
});

describe("install-cron switching scope", () => {
  it("narrowing an -A install deletes its ClusterRole and ClusterRoleBinding", async () => {
    const cluster = new InstallCluster(installedObjects(true));
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stdout).toContain(
      "clusterrolebinding.rbac.authorization.k8s.io/tools:kubectl-autoupdate deleted (left from a cluster-wide (-A) install)\n",
    );
    expect(cluster.held().filter((ref) => ref.startsWith("Cluster"))).toEqual([]);
  });

  it("narrowing an -A install: the cluster-wide grant goes first; its deletion cut short, nothing else changes", async () => {
    const transient = "Error from server (InternalError): etcdserver: request timed out";
    const cluster = new InstallCluster(installedObjects(true)).refuse(
      (c) => c.args[0] === "delete" && !c.args.includes("--dry-run=server"),
      transient,
    );
    const { error } = await install(cluster);
    expect((error as Error).message).toBe(
      `kubectl delete failed: ${transient}; clusterrole.rbac.authorization.k8s.io/tools:kubectl-autoupdate, clusterrolebinding.rbac.authorization.k8s.io/tools:kubectl-autoupdate, of the earlier -A install, may still grant every namespace, and nothing else was changed: run install-cron again`,
    );
    // The CronJob still says every namespace: no guard reads one namespace beside the grant.
    expect(cluster.writes().filter((c) => c.args[0] === "apply")).toEqual([]);
  });

  it("narrowing an -A install the server refuses at its dry run: the grant is still there, as the error says", async () => {
    const earlier = installedObjects(true);
    const refusedCronJob =
      'Error from server (Forbidden): error when creating "STDIN": cronjobs.batch "kubectl-autoupdate" is forbidden: ValidatingAdmissionPolicy \'no-cron\' denied request';
    const cluster = new InstallCluster(earlier).refuse(
      (c) => c.args[0] === "apply" && c.dryRun && c.kinds.includes("CronJob"),
      refusedCronJob,
    );
    const { error, out } = await install(cluster);
    expect((error as Error).message).toMatch(/the installation was left as it was/);
    expect(cluster.held()).toEqual(earlier.map((o) => `${o.kind}/${o.metadata.name}`));
    expect(out.stdout).not.toContain("deleted");
  });

  it("narrowing an -A install, the cluster lost while its grant is deleted: a cluster-access failure, explained", async () => {
    const cluster = new InstallCluster(installedObjects(true)).refuse(
      (c) => c.args[0] === "delete" && !c.args.includes("--dry-run=server"),
      "error: You must be logged in to the server (Unauthorized)\n",
    );
    const { error } = await install(cluster);
    expect(error).toBeInstanceOf(ClusterAccessError);
  });

  it("narrowing an -A install whose ClusterRoleBinding may be listed but not deleted: nothing changed", async () => {
    const refused =
      'Error from server (Forbidden): clusterrolebindings.rbac.authorization.k8s.io "tools:kubectl-autoupdate" is forbidden: User "ns-admin" cannot delete resource "clusterrolebindings"';
    const cluster = new InstallCluster(installedObjects(true)).refuse(
      (c) => c.args[0] === "delete" && c.args.some((a) => a.startsWith("clusterrole")),
      refused,
    );
    const { error, out } = await install(cluster);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as Error).message).toBe(
      `clusterrole.rbac.authorization.k8s.io/tools:kubectl-autoupdate, clusterrolebinding.rbac.authorization.k8s.io/tools:kubectl-autoupdate, left from an earlier install, could not be deleted, so nothing was changed: kubectl delete failed: ${refused}`,
    );
    expect(cluster.writes()).toEqual([]);
    expect(cluster.held()).toContain("ClusterRoleBinding/tools:kubectl-autoupdate");
    expect(out.stdout).toBe("");
  });
});

describe("install-cron applies nothing the server has not checked", () => {
  const applies = (cluster: InstallCluster) =>
    cluster.calls
      .filter((c) => c.args[0] === "apply")
      .map((c): [string, string[]] => [c.dryRun ? "dry run" : "apply", c.kinds]);
  const refusedBinding =
    'Error from server (Forbidden): error when creating "STDIN": rolebindings.rbac.authorization.k8s.io "kubectl-autoupdate" is forbidden: ValidatingAdmissionPolicy \'no-bindings\' denied request';

  it("a first install: the ServiceAccount and Role first, then the binding checked with the rest, then the rest", async () => {
    const cluster = new InstallCluster();
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(applies(cluster)).toEqual([
      ["dry run", ["ServiceAccount", "Role", "ConfigMap", "CronJob"]],
      ["apply", ["ServiceAccount", "Role"]],
      ["dry run", ["RoleBinding", "ConfigMap", "CronJob"]],
      ["apply", ["RoleBinding", "ConfigMap", "CronJob"]],
    ]);
    expect(out.stdout).toBe(
      [
        "serviceaccount/kubectl-autoupdate created",
        "role.rbac.authorization.k8s.io/kubectl-autoupdate created",
        "rolebinding.rbac.authorization.k8s.io/kubectl-autoupdate created",
        "configmap/kubectl-autoupdate created",
        "cronjob.batch/kubectl-autoupdate created",
        "",
      ].join("\n"),
    );
  });

  it("a first -A install: the ClusterRole and the record's Role first", async () => {
    const cluster = new InstallCluster();
    const { error } = await install(cluster, true);
    expect(error).toBeUndefined();
    expect(applies(cluster)).toEqual([
      ["dry run", ["ServiceAccount", "ClusterRole", "Role", "ConfigMap", "CronJob"]],
      ["apply", ["ServiceAccount", "ClusterRole", "Role"]],
      ["dry run", ["ClusterRoleBinding", "RoleBinding", "ConfigMap", "CronJob"]],
      // The binding for every namespace alone, once the CronJob that says every namespace is applied.
      ["apply", ["RoleBinding", "ConfigMap", "CronJob"]],
      ["apply", ["ClusterRoleBinding"]],
    ]);
  });

  it("a binding refused on a first install: no CronJob applied, what was made first deleted again", async () => {
    const cluster = new InstallCluster().refuse((c) => c.kinds.includes("RoleBinding"), refusedBinding);
    const { error } = await install(cluster);
    expect(error).toBeInstanceOf(ToolFailedError);
    expect((error as Error).message).toBe(
      `kubectl apply failed: ${refusedBinding}; nothing was installed: serviceaccount/kubectl-autoupdate, role.rbac.authorization.k8s.io/kubectl-autoupdate, applied first to check the bindings against, deleted again`,
    );
    expect(cluster.writes().filter((c) => c.kinds.includes("CronJob"))).toEqual([]);
    expect(cluster.held()).toEqual([]);
  });

  it("-A over a namespaced install, the ClusterRoleBinding refused: the ClusterRole deleted again, the Role as it was", async () => {
    const earlier = installedObjects(false);
    const cluster = new InstallCluster(earlier).refuse(
      (c) => c.kinds.includes("ClusterRoleBinding"),
      refusedBinding,
    );
    const { error } = await install(cluster, true);
    expect((error as Error).message).toMatch(
      /; the installation was left as it was: clusterrole\.rbac\.authorization\.k8s\.io\/tools:kubectl-autoupdate, applied first to check the bindings against, deleted again$/,
    );
    expect(cluster.held()).toEqual(earlier.map((o) => `${o.kind}/${o.metadata.name}`));
    // The Role narrowed under -A to the record's rule only once everything passed: here, never.
    expect(applies(cluster).filter(([how, kinds]) => how === "apply" && kinds.includes("Role"))).toEqual([]);
  });

  it("what it made first cannot be deleted again: says so, and how to delete it", async () => {
    const cluster = new InstallCluster()
      .refuse((c) => c.kinds.includes("RoleBinding"), refusedBinding)
      .refuse((c) => c.args[0] === "delete", "Error from server (Forbidden): serviceaccounts is forbidden\n");
    const { error } = await install(cluster);
    expect((error as Error).message).toMatch(
      /; serviceaccount\/kubectl-autoupdate, role\.rbac\.authorization\.k8s\.io\/kubectl-autoupdate, applied first to check the bindings against, could not be deleted again \(kubectl delete failed: Error from server \(Forbidden\): serviceaccounts is forbidden\); delete them: kubectl delete serviceaccounts\/kubectl-autoupdate roles\.rbac\.authorization\.k8s\.io\/kubectl-autoupdate -n tools$/,
    );
  });

  it("what it made first is deleted again in part: names, and tells to delete, only the rest", async () => {
    const cluster = new InstallCluster().refuse((c) => c.kinds.includes("RoleBinding"), refusedBinding);
    // kubectl goes on past the ServiceAccount it may not delete, and deletes the Role.
    const exec: typeof cluster.exec = async (file, argv, options) => {
      if (argv[0] !== "delete" || argv.includes("--dry-run=server")) return cluster.exec(file, argv, options);
      const done = await cluster.exec(
        file,
        argv.filter((a) => !a.startsWith("serviceaccounts/")),
        options,
      );
      return {
        ...done,
        exitCode: 1,
        stderr: "Error from server (Forbidden): serviceaccounts is forbidden\n",
      };
    };
    const { error } = await install(cluster, false, exec);
    expect(cluster.held()).toEqual(["ServiceAccount/kubectl-autoupdate"]);
    expect((error as Error).message).toMatch(
      /; serviceaccount\/kubectl-autoupdate, applied first to check the bindings against, could not be deleted again \(.*; deleted all the same: role\.rbac\.authorization\.k8s\.io\/kubectl-autoupdate\); delete it: kubectl delete serviceaccounts\/kubectl-autoupdate -n tools$/,
    );
  });

  it("over an install whose Roles all exist: one dry run of everything, then one apply", async () => {
    const cluster = new InstallCluster(installedObjects(false));
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    const all = ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "CronJob"];
    expect(applies(cluster)).toEqual([
      ["dry run", all],
      ["apply", all],
    ]);
    expect(out.stdout).toContain("cronjob.batch/kubectl-autoupdate configured\n");
  });
});

describe("the hint after a refused first install names the cluster it was run against", () => {
  it("its `kubectl delete …` carries --context, as every other hint does", async () => {
    const cluster = new InstallCluster()
      .refuse(
        (c) => c.kinds.includes("RoleBinding"),
        "Error from server (Forbidden): rolebindings.rbac.authorization.k8s.io is forbidden\n",
      )
      .refuse((c) => c.args[0] === "delete", "Error from server (Forbidden): serviceaccounts is forbidden\n");
    const { deps } = cronVerbDeps(cluster.exec);
    // The same cluster, reached with --context=prod: run as told without it, the command would delete in
    // the current context's cluster, where an install of the same name may live.
    deps.kubectl = new Kubectl(
      async (file, args, o) => {
        expect(args[0]).toBe("--context=prod");
        return cluster.exec(file, args.slice(1), o);
      },
      "kubectl",
      { context: "prod" },
    );
    const options: InstallCronOptions = {
      name: "kubectl-autoupdate",
      namespace: "tools",
      connection: { context: "prod" },
      kubectlPath: "kubectl",
      color: "never",
      verbose: false,
      spec: installSpec(),
      dryRun: false,
    };
    const error = await installCronCommand(deps, options).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(
      /; delete them: kubectl delete serviceaccounts\/kubectl-autoupdate roles\.rbac\.authorization\.k8s\.io\/kubectl-autoupdate -n tools --context=prod$/,
    );
  });
});

describe("install-cron again with other flags", () => {
  it("says what the runs now do differently: a flag not given is back at its default", async () => {
    const earlier = buildInstallObjects(installSpec({ strategy: "evict", selector: "tier=frontend" })).map(
      (o) => ({
        ...o,
        metadata: { ...o.metadata, resourceVersion: "7" },
      }),
    );
    // `install-cron -n tools --schedule "0 3 * * *"`, meant only to change the schedule.
    const { error, out } = await install(new InstallCluster(earlier));
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      "Warning: this install changes what the runs do: --selector tier=frontend dropped, --strategy evict → auto (a flag not given is back at its default)\n",
    );
  });

  it("the same flags again: no warning", async () => {
    const { error, out } = await install(new InstallCluster(installedObjects(false)));
    expect(error).toBeUndefined();
    expect(out.stderr).not.toContain("changes what the runs do");
  });

  it("flags a hand added to the job's args: named as staying, not as dropped, their values not quoted", async () => {
    const patched = installedObjects(false).map((o) => {
      if (o.kind !== "CronJob") return o;
      const cronJob = structuredClone(o) as unknown as CronJobObject;
      jobContainerOf(cronJob)!.args = ["--concurrency=8", "--webhook-url=https://hooks.example/T0/SECRET"];
      return cronJob as unknown as typeof o;
    });
    const { error, out } = await install(new InstallCluster(patched));
    expect(error).toBeUndefined();
    expect(out.stderr).not.toContain("changes what the runs do");
    expect(out.stderr).toContain(
      "Warning: the job's args, added by hand, stay and come after install-cron's flags: --concurrency, --webhook-url (its rights follow install-cron's --strategy; remove them with kubectl patch)\n",
    );
    expect(out.stderr).not.toContain("SECRET");
  });

  it("short flags a hand added are named too, by their long names, as apply reads them", async () => {
    const patched = installedObjects(false).map((o) => {
      if (o.kind !== "CronJob") return o;
      const cronJob = structuredClone(o) as unknown as CronJobObject;
      jobContainerOf(cronJob)!.args = ["-A", "-l", "tier=frontend"];
      return cronJob as unknown as typeof o;
    });
    const { error, out } = await install(new InstallCluster(patched));
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      "Warning: the job's args, added by hand, stay and come after install-cron's flags: --all-namespaces, --selector (its rights follow install-cron's --strategy; remove them with kubectl patch)\n",
    );
  });
});

describe("what install-cron says at the end", () => {
  it("how to run it now; after an -A install, how to remove it: not by deleting the namespace", async () => {
    const namespaced = await install(new InstallCluster());
    expect(namespaced.out.stderr).toContain(
      'CronJob tools/kubectl-autoupdate checks namespace tools; runs "*/10 * * * *".\nRun it now: kubectl autoupdate run-now -n tools --wait\n',
    );
    expect(namespaced.out.stderr).not.toContain("Remove it");
    const everywhere = await install(new InstallCluster(), true);
    expect(everywhere.out.stderr).toMatch(
      /Remove it with kubectl autoupdate uninstall-cron -n tools, not by deleting namespace tools: its ClusterRoleBinding would outlive it.\n$/,
    );
  });
});

describe("install-cron refused at its first server dry run", () => {
  it("says nothing was applied: kubectl's own words leave it open (it applies a List object by object)", async () => {
    const escalation =
      'Error from server (Forbidden): roles.rbac.authorization.k8s.io "kubectl-autoupdate" is forbidden: user "alice" is attempting to grant RBAC permissions not currently held\n';
    const cluster = new InstallCluster().refuse((c) => c.args[0] === "apply" && c.dryRun, escalation);
    const { error } = await install(cluster);
    expect(cluster.writes()).toEqual([]);
    expect((error as Error).message).toMatch(
      /; nothing was installed \(the server refused it at a dry run\)$/,
    );
  });

  it("the cluster lost there (an expired login) is no refusal: it stays a cluster-access failure, to be explained", async () => {
    const lost = "error: You must be logged in to the server (Unauthorized)\n";
    const cluster = new InstallCluster().refuse((c) => c.args[0] === "apply" && c.dryRun, lost);
    const { error } = await install(cluster);
    expect(error).toBeInstanceOf(ClusterAccessError);
    expect((error as Error).message).not.toContain("refused it at a dry run");
  });
});

describe("the commands install-cron says to run next", () => {
  it("keep the connection flags but never a password in --server's URL (the CLI refuses one; a last guard)", async () => {
    const server = "https://admin:s3cretPw@10.0.0.1:6443";
    const cluster = new InstallCluster();
    // The cluster's fake answers by verb: the connection flag is dropped before it.
    const exec: Exec = (file, argv, options) =>
      cluster.exec(
        file,
        argv.filter((a) => !a.startsWith("--server=")),
        options,
      );
    const { deps, out } = cronVerbDeps(exec);
    deps.kubectl = new Kubectl(exec, "kubectl", { server });
    const options: InstallCronOptions = {
      name: spec.name,
      namespace: "tools",
      connection: { server },
      kubectlPath: "kubectl",
      color: "never",
      verbose: false,
      spec,
      dryRun: false,
    };
    await installCronCommand(deps, options);
    expect(out.stderr).toContain(
      "Run it now: kubectl autoupdate run-now -n tools --server=https://10.0.0.1:6443 --wait",
    );
    expect(out.stderr).not.toContain("s3cretPw");
  });
});

describe("install-cron beside other installations", () => {
  const cronJobOf = (overrides: Partial<typeof spec>) =>
    buildInstallObjects({ ...spec, ...overrides }).find((o) => o.kind === "CronJob")!;

  it("warns of one checking every namespace, and installs", async () => {
    const cluster = new InstallCluster([
      cronJobOf({ name: "everywhere", namespace: "ops", allNamespaces: true }),
      cronJobOf({ name: "elsewhere", namespace: "web" }),
    ]);
    const { error, out } = await install(cluster);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      "Warning: CronJob ops/everywhere, another installation, also checks namespace tools (it checks every namespace): the runs of two installations do not take turns and could each restart a pod of the same workload at once; suspend or uninstall one of them, or narrow their scopes apart\n",
    );
    expect(out.stderr).not.toContain("web/elsewhere");
    expect(out.stdout).toContain("cronjob.batch/kubectl-autoupdate created\n");
  });

  it("a namespace admin, who may not list CronJobs in every namespace: warned of those in this one", async () => {
    const refusedEverywhere = (cluster: InstallCluster) =>
      cluster.refuse(
        (call) => call.args.includes("--all-namespaces"),
        'Error from server (Forbidden): cronjobs.batch is forbidden: User "ns-admin" cannot list resource "cronjobs" in API group "batch" at the cluster scope\n',
      );
    const beside = refusedEverywhere(new InstallCluster([cronJobOf({ name: "beside" })]));
    const { error, out } = await install(beside);
    expect(error).toBeUndefined();
    expect(out.stderr).toContain(
      "Warning: CronJob tools/beside, another installation, also checks namespace tools: the runs",
    );
    expect(beside.calls.map((c) => c.args.slice(0, 3).join(" "))).toContain(
      "get cronjobs.batch --namespace=tools",
    );

    // Refused there too: installed all the same, without a word about it.
    const nowhere = refusedEverywhere(new InstallCluster([cronJobOf({ name: "beside" })])).refuse(
      (call) => call.args[1] === "cronjobs.batch",
      'Error from server (Forbidden): cronjobs.batch is forbidden: User "x" cannot list resource "cronjobs"\n',
    );
    const refused = await install(nowhere);
    expect(refused.error).toBeUndefined();
    expect(refused.out.stderr).not.toContain("Warning");
    expect(refused.out.stdout).toContain("cronjob.batch/kubectl-autoupdate created\n");
  });
});
