import { describe, expect, it } from "vitest";
import { buildInstallObjects } from "../../../../src/cron/core/install-objects.js";
import { autoupdateRules, type PolicyRule } from "../../../../src/cron/core/rbac.js";
import { installSpec } from "../../../support/install-spec.js";

/**
 * Every request `kubectl-autoupdate apply` makes, as group/resource:verb, with where it comes from. Keep this
 * list in step with src/pipeline/gather.ts, delete-pods.ts and adapters/kubectl.ts; the e2e test
 * test/e2e/cron/service-account.test.ts runs those calls as the ServiceAccount to prove the list
 * is sufficient.
 */
const needed = [
  "/pods:list", // kubectl.listPods, listPodsBySelector (waiting for a replacement)
  "/pods:watch", // kubectl.watchPodsBySelector (waiting for a replacement)
  "/pods:delete", // kubectl.deletePod: delete --raw …/pods/NAME (a dry run too)
  "/secrets:get", // kubectl.getSecrets: get secrets a b --ignore-not-found
  "/serviceaccounts:list", // kubectl.listServiceAccounts
  "apps/replicasets:list", // gather: get replicasets.apps,jobs.batch
  "batch/jobs:list", // gather: get replicasets.apps,jobs.batch
  "policy/poddisruptionbudgets:list", // delete-pods: the budgets that select a pod
  "apps/replicasets:get", // delete-pods: the controller's selector
  "apps/statefulsets:get", // delete-pods
  "apps/statefulsets:list", // gather: listWorkloads, whether a pod's StatefulSet is being deleted
  "apps/daemonsets:get", // delete-pods
  "apps/daemonsets:list", // gather: listWorkloads, likewise
  "/replicationcontrollers:get", // delete-pods
  "events.k8s.io/events:create", // pipeline/restart/events.ts: an Event after each restart
  "events.k8s.io/events:list", // kubectl.listRememberedRestarts: restarts in vain its Events remember
].sort();

function tuples(rules: readonly PolicyRule[]): string[] {
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
    )
    .sort();
}

// --strategy delete's rules; the other strategies' are in test/unit/cron/core/rbac-by-strategy.test.ts.
describe("RBAC of the CronJob", () => {
  it("lists exactly these rules", () => {
    expect(autoupdateRules("delete")).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch", "delete"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
      { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["list"] },
      { apiGroups: [""], resources: ["replicationcontrollers"], verbs: ["get"] },
      { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list"] },
      { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "list"] },
      { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get", "list"] },
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["list"] },
      { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list"] },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["list", "create"] },
    ]);
  });

  it("grants every request apply makes and nothing else (no extra group, resource or verb)", () => {
    expect(tuples(autoupdateRules("delete"))).toEqual(needed);
  });

  it("has no wildcard, no resourceNames, no nonResourceURLs, no write verb but pods delete and events create", () => {
    const text = JSON.stringify(autoupdateRules("delete"));
    expect(text).not.toContain("*");
    for (const rule of autoupdateRules("delete")) {
      expect(Object.keys(rule).sort()).toEqual(["apiGroups", "resources", "verbs"]);
    }
    const writes = tuples(autoupdateRules("delete")).filter((t) => !/:(get|list|watch)$/.test(t));
    expect(writes).toEqual(["/pods:delete", "events.k8s.io/events:create"]);
  });

  const installed = (allNamespaces: boolean) =>
    buildInstallObjects(installSpec({ allNamespaces, image: "example.com/x:1", strategy: "delete" }));
  const recordRule = {
    apiGroups: [""],
    resources: ["configmaps"],
    resourceNames: ["kubectl-autoupdate"],
    verbs: ["get", "patch"],
  };

  /** Each role with the subjects of the bindings that refer to it. */
  function bound(manifests: ReturnType<typeof buildInstallObjects>) {
    const bindings = manifests.filter((m) => m.kind.endsWith("Binding"));
    return manifests
      .filter((m) => m.kind.endsWith("Role"))
      .map((role) => ({
        kind: role.kind,
        name: role.metadata.name,
        rules: role["rules"],
        subjects: bindings
          .filter((b) => {
            const ref = b["roleRef"] as { kind: string; name: string };
            return ref.kind === role.kind && ref.name === role.metadata.name;
          })
          .map((b) => b["subjects"]),
      }));
  }
  const jobAccount = [[{ kind: "ServiceAccount", name: "kubectl-autoupdate", namespace: "tools" }]];

  it("the Role install-cron applies carries those rules and get/patch of its record ConfigMap alone, bound to the job's ServiceAccount only", () => {
    const manifests = installed(false);
    expect(bound(manifests)).toEqual([
      {
        kind: "Role",
        name: "kubectl-autoupdate",
        rules: [...autoupdateRules("delete"), recordRule],
        subjects: jobAccount,
      },
    ]);
    expect(manifests.filter((m) => m.kind.endsWith("Binding"))).toHaveLength(1);
    expect(tuples(autoupdateRules("delete"))).toEqual(needed);
  });

  it("-A: the ClusterRole carries those rules; the record's get/patch is a Role in the install's namespace only; both bound to the job's ServiceAccount only", () => {
    const manifests = installed(true);
    expect(bound(manifests)).toEqual([
      {
        kind: "ClusterRole",
        name: "tools:kubectl-autoupdate",
        rules: autoupdateRules("delete"),
        subjects: jobAccount,
      },
      { kind: "Role", name: "kubectl-autoupdate", rules: [recordRule], subjects: jobAccount },
    ]);
    expect(manifests.filter((m) => m.kind.endsWith("Binding"))).toHaveLength(2);
    const role = manifests.find((m) => m.kind === "Role")!;
    expect(role.metadata.namespace).toBe("tools");
  });
});
