/**
 * The plugin as kubectl runs it (`kubectl autoupdate --help` and `plan`, with bin/ on PATH), and
 * `plan`/`apply --strategy delete` as a ServiceAccount with only the rights they need (impersonated with
 * --as): they work; without `list pods` the failure is one clear line; without `delete pods` each pod's
 * refusal is reported and the exit is 1. (The rules of the other strategies: test/e2e/cron/.)
 */
import { execFile } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyRule } from "../../src/cron/core/rbac.js";
import type { Pod } from "../simulator/index.js";
import type { CliResult } from "../support/cli.js";
import {
  apply,
  kk,
  kubectl,
  kubectlPath,
  planJson,
  plugin,
  pluginEnv,
  settledWorkloads,
  until,
  useCluster,
} from "../support/e2e.js";
import { pushImage } from "../support/images.js";
import { anonymous } from "../support/registry/distribution.js";
import { deployment, statefulSet } from "../support/workloads.js";

const ns = "e2e-plugin";
const limited = `system:serviceaccount:${ns}:limited`;
/** A second namespace for the refusals that stop apply part-way: its own pods, its own ServiceAccount. */
const partial = "e2e-plugin-partial";
const partialAccount = `system:serviceaccount:${partial}:partial`;
const cluster = useCluster({
  nodes: [
    { name: "plug-containerd", runtime: "containerd" },
    { name: "plug-docker", runtime: "docker" },
  ],
  registries: [anonymous],
  namespaces: [ns, partial],
});
let image: string;
let v2: string;

beforeAll(async () => {
  image = `${cluster.registry.host}/plugged:latest`;
  const v1 = await pushImage(image, "plugin v1");
  await apply(
    deployment("web", ns, 2, { image }),
    statefulSet("db", ns, 2, { image }),
    deployment("web", partial, 2, { image }),
    statefulSet("db", partial, 3, { image }),
  );
  await Promise.all([
    cluster.sim.waitForPods({ namespace: ns, count: 4, digest: v1 }),
    cluster.sim.waitForPods({ namespace: partial, count: 5, digest: v1 }),
  ]);
  await Promise.all([ns, partial].map((n) => settledWorkloads(n)));
  v2 = await pushImage(image, "plugin v2");
});

/** `kubectl ARGS` with the testbed's kubectl and the repository's bin/ on PATH, as a user has them. */
function viaKubectl(args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      kubectlPath(),
      args,
      { env: { ...process.env, ...pluginEnv(), NO_COLOR: "1" }, timeout: 120_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("through kubectl", () => {
  it("kubectl plugin list finds kubectl-autoupdate on PATH", async () => {
    const result = await viaKubectl(["plugin", "list", "--name-only"]);
    expect(result.stdout.split("\n")).toContain("kubectl-autoupdate");
  });

  it("kubectl autoupdate --help shows the plugin's help, its commands and exit 0", async () => {
    const result = await viaKubectl(["autoupdate", "--help"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Usage: kubectl autoupdate");
    expect(result.stdout).toMatch(/^ {2}plan \[options\] /m);
    expect(result.stdout).toMatch(/^ {2}apply \[options\] /m);
    expect(result.stdout).toBe((await plugin(["--help"])).stdout);
  });

  it("kubectl autoupdate plan prints what the plugin prints, for the same cluster", async () => {
    const through = await viaKubectl(["autoupdate", "plan", "-n", ns, "--no-headers"]);
    const direct = await plugin(["plan", "-n", ns, "--no-headers"]);
    expect(through.code, through.stderr).toBe(0);
    expect(through.stdout).toBe(direct.stdout);
    expect(through.stdout.trim().split("\n")).toHaveLength(4);
    expect(
      JSON.parse((await viaKubectl(["autoupdate", "plan", "-n", ns, "-o", "json"])).stdout),
    ).toMatchObject({
      kind: "Plan",
      pods: expect.arrayContaining([expect.objectContaining({ action: "delete" })]),
    });
  });

  it("kubectl -n NS autoupdate is refused by kubectl itself: flags go after the plugin name", async () => {
    const result = await viaKubectl(["-n", ns, "autoupdate", "plan"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("flags cannot be placed before plugin name");
  });
});

/** A Role for the ServiceAccount `name` (default: `limited`), with these rules replacing any before. */
async function grant(rules: PolicyRule[], namespace = ns, name = "limited"): Promise<void> {
  await apply(
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name, namespace },
      rules,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  );
  await untilAuthorizerAgrees(rules, namespace, name);
}

/**
 * The API server authorizes from a cache of Roles and RoleBindings: waits until it answers every verb on
 * pods and on the owners' resources as `rules` now say, so a test sees the grant it just made.
 */
async function untilAuthorizerAgrees(rules: PolicyRule[], namespace: string, name: string): Promise<void> {
  const user = `system:serviceaccount:${namespace}:${name}`;
  const asked = [podRules(["get", "list", "delete"]), ...ownerRules].flatMap((r) =>
    r.resources.flatMap((resource) => r.verbs.map((verb) => ({ group: r.apiGroups[0]!, resource, verb }))),
  );
  await until(`the authorizer to apply ${user}'s new rules`, async () => {
    for (const { group, resource, verb } of asked) {
      // A rule naming its objects grants no request for all of them.
      const granted = rules.some(
        (r) =>
          !r.resourceNames &&
          r.apiGroups.includes(group) &&
          r.resources.includes(resource) &&
          r.verbs.includes(verb),
      );
      const target = group === "" ? resource : `${resource}.${group}`;
      const answer = await kubectl(["auth", "can-i", verb, target, "-n", namespace, "--as", user]);
      if ((answer.stdout.trim() === "yes") !== granted) return undefined;
    }
    return true;
  });
}

const podRules = (verbs: string[]): PolicyRule => ({ apiGroups: [""], resources: ["pods"], verbs });
const ownerRules: PolicyRule[] = [
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list"] },
  { apiGroups: ["apps"], resources: ["statefulsets", "daemonsets"], verbs: ["get", "list"] },
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["list"] },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
  { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["list"] },
  // This tool's Events, read before pods go one at a time (restarts in vain it remembers).
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["list"] },
];

describe("as a ServiceAccount with only what --strategy delete needs (--as)", () => {
  it("without delete on pods: plan works; apply reports each refusal and exits 1, nothing deleted", async () => {
    await grant([podRules(["get", "list"]), ...ownerRules]);
    const doc = await planJson(["-n", ns, "--as", limited]);
    expect(doc.pods.filter((p) => p.action === "delete")).toHaveLength(4);
    const uids = async () =>
      (await cluster.sim.waitForPods({ namespace: ns, count: 4 })).map((p: Pod) => p.metadata.uid).sort();
    const before = await uids();
    const result = await plugin(["apply", "--yes", "-n", ns, "--as", limited, "--strategy", "delete"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `pod ${ns}/web-\\S+ not deleted: Error from server \\(Forbidden\\): pods "web-\\S+" is forbidden: User "${limited}" cannot delete resource "pods"`,
      ),
    );
    expect(result.stderr).toBe("error: some planned pods were not restarted; see above\n");
    expect(await uids()).toEqual(before);
  });

  it("with get/list/delete on pods (and reads of owners and secrets): apply works and the pods come back on v2", async () => {
    await grant([podRules(["get", "list", "delete"]), ...ownerRules]);
    const result = await plugin(["apply", "--yes", "-n", ns, "--as", limited, "--strategy", "delete"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("4 deleted (of 4 planned)");
    await cluster.sim.waitForPods({ namespace: ns, count: 4, digest: v2 });
    expect((await planJson(["-n", ns, "--as", limited])).pods.map((p) => p.action)).toEqual([
      "none",
      "none",
      "none",
      "none",
    ]);
    expect(cluster.sim.errors).toEqual([]);
  });

  it("without list on pods: one line naming the refusal, exit 1", async () => {
    await grant([podRules(["get", "delete"]), ...ownerRules]);
    for (const verb of ["plan", "apply"]) {
      const result = await plugin(
        [verb, "--yes", "-n", ns, "--as", limited].filter((a) => verb === "apply" || a !== "--yes"),
      );
      expect(result.code, verb).toBe(1);
      expect(result.stdout, verb).toBe("");
      expect(result.stderr, verb).toBe(
        `error: kubectl get failed: Error from server (Forbidden): pods is forbidden: User "${limited}" cannot list resource "pods" in API group "" in the namespace "${ns}"\n`,
      );
    }
  });

  it("the admin's kubeconfig is still what impersonates: the ServiceAccount may not see other namespaces", async () => {
    await grant([podRules(["get", "list", "delete"]), ...ownerRules]);
    const result = await plugin(["plan", "-A", "--as", limited]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot list resource "pods" in API group "" at the cluster scope`);
    expect((await kk(["get", "pods", "-A", "-o", "name"])).trim()).not.toBe("");
  });
});

/** Each pod's UID by name, and whether it is being deleted, as the API server has them now. */
async function podsNow(namespace: string, selector: string): Promise<Record<string, string>> {
  const list = JSON.parse(await kk(["get", "pods", "-n", namespace, "-l", selector, "-o", "json"])).items as {
    metadata: { name: string; uid: string; deletionTimestamp?: string };
  }[];
  return Object.fromEntries(
    list.map((p) => [p.metadata.name, `${p.metadata.uid}${p.metadata.deletionTimestamp ? " deleting" : ""}`]),
  );
}

describe("refusals the API server makes (RBAC, impersonated with --as)", () => {
  it("a refusal is one line naming kubectl's first stderr line, exit 1; a stack trace only with --verbose", async () => {
    const nobody = `system:serviceaccount:${ns}:nobody`;
    const own = await kubectl(["get", "pods", "-n", ns, "--as", nobody]);
    expect(own.code).toBe(1);
    const first = own.stderr.split("\n")[0]!;
    expect(first).toBe(
      `Error from server (Forbidden): pods is forbidden: User "${nobody}" cannot list resource "pods" in API group "" in the namespace "${ns}"`,
    );
    const plain = await plugin(["plan", "-n", ns, "--as", nobody]);
    expect(plain).toMatchObject({ code: 1, stdout: "", stderr: `error: kubectl get failed: ${first}\n` });
    const verbose = await plugin(["plan", "-n", ns, "--as", nobody, "--verbose"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stdout).toBe("");
    expect(verbose.stderr).toContain(`\nerror: kubectl get failed: ${first}\n`);
    expect(verbose.stderr).toContain("ToolFailedError");
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it("a refusal while gathering (no list on ReplicaSets) stops apply before any deletion: exit 1, every pod kept", async () => {
    await grant(
      [
        podRules(["get", "list", "delete"]),
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
        { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["list"] },
      ],
      partial,
      "partial",
    );
    const before = await podsNow(partial, "app in (web,db)");
    expect(Object.keys(before)).toHaveLength(5);
    const result = await plugin(["apply", "--yes", "-n", partial, "--as", partialAccount]);
    expect(result).toMatchObject({
      code: 1,
      stdout: "",
      stderr: `error: kubectl get failed: Error from server (Forbidden): replicasets.apps is forbidden: User "${partialAccount}" cannot list resource "replicasets" in API group "apps" in the namespace "${partial}"\n`,
    });
    expect(await podsNow(partial, "app in (web,db)")).toEqual(before);
  });

  it("a refused deletion (delete limited to db-0 and db-2 by resourceNames): apply --no-wait deletes the others, reports each pod, exits 1", async () => {
    await grant(
      [
        podRules(["get", "list"]),
        { apiGroups: [""], resources: ["pods"], verbs: ["delete"], resourceNames: ["db-0", "db-2"] },
        // The restarts' Events are allowed: the deletion is the only refusal here.
        { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create"] },
        ...ownerRules,
      ],
      partial,
      "partial",
    );
    const before = await podsNow(partial, "app=db");
    const result = await plugin([
      "apply",
      "--yes",
      "--no-wait",
      "-n",
      partial,
      "-l",
      "app=db",
      "--as",
      partialAccount,
      "--strategy",
      "delete",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n").filter((l) => l.startsWith(`pod ${partial}/`))).toEqual([
      `pod ${partial}/db-0 deleted`,
      `pod ${partial}/db-1 not deleted: Error from server (Forbidden): pods "db-1" is forbidden: User "${partialAccount}" cannot delete resource "pods" in API group "" in the namespace "${partial}"`,
      `pod ${partial}/db-2 deleted`,
    ]);
    expect(result.stdout).toContain("2 deleted, 1 failed (of 3 planned)");
    expect(result.stderr).toBe("error: some planned pods were not restarted; see above\n");
    // db-0 and db-2 are new pods (the StatefulSet controller recreated them); db-1 is the same one.
    const after = await until("db-0 and db-2 to be recreated", async () => {
      const now = await podsNow(partial, "app=db");
      const recreated = (name: string) => now[name] !== undefined && now[name] !== before[name];
      return recreated("db-0") && recreated("db-2") ? now : undefined;
    });
    expect(after["db-1"]).toBe(before["db-1"]);
    expect(cluster.sim.errors).toEqual([]);
  });
});
