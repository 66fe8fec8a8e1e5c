/**
 * install-cron's RBAC follows --strategy and stays exact: every request a run with that strategy makes,
 * nothing else (the e2e RBAC test derives the same from a real run's requests).
 */
import { describe, expect, it } from "vitest";
import type { StrategyName } from "../../../../src/core/plan.js";
import { buildInstallObjects } from "../../../../src/cron/core/install-objects.js";
import { autoupdateRules, type PolicyRule, recordRules } from "../../../../src/cron/core/rbac.js";
import { installSpec } from "../../../support/install-spec.js";
import { recordingEvents, rulesByStrategy } from "../../../support/strategy-rules.js";

function tuples(rules: readonly PolicyRule[]): string[] {
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
    )
    .sort();
}

const events = recordingEvents;

describe("the CronJob's RBAC per strategy", () => {
  it.each(Object.entries(rulesByStrategy) as [StrategyName, string[]][])(
    "%s: exactly its requests",
    (strategy, requests) => {
      expect(tuples(autoupdateRules(strategy))).toEqual(requests);
    },
  );

  it.each<[StrategyName, string[]]>([
    ["delete", ["/pods:delete", events]],
    ["evict", ["/pods/eviction:create", events]],
    ["rollout", ["apps/daemonsets:patch", "apps/deployments:patch", "apps/statefulsets:patch", events]],
    [
      "auto",
      [
        "/pods/eviction:create",
        "apps/daemonsets:patch",
        "apps/deployments:patch",
        "apps/statefulsets:patch",
        events,
      ],
    ],
  ])(
    "%s writes only %j: pods delete only for delete, no update, a watch only of pods, no wildcard",
    (strategy, writes) => {
      const rules = autoupdateRules(strategy);
      expect(tuples(rules).filter((t) => !/:(get|list|watch)$/.test(t))).toEqual(writes);
      const watched = strategy === "rollout" ? [] : ["/pods:watch"];
      expect(tuples(rules).filter((t) => t.endsWith(":watch"))).toEqual(watched);
      expect(JSON.stringify(rules)).not.toContain("*");
      for (const rule of rules) expect(Object.keys(rule).sort()).toEqual(["apiGroups", "resources", "verbs"]);
    },
  );

  it("one rule per resource, core group first", () => {
    expect(autoupdateRules("auto")).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
      { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["list"] },
      { apiGroups: [""], resources: ["replicationcontrollers"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
      { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list"] },
      { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "list", "patch"] },
      { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get", "list", "patch"] },
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "patch"] },
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["list"] },
      { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list"] },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["list", "create"] },
    ]);
  });

  it.each([
    ["auto", ["list", "create"]],
    ["evict", ["list", "create"]],
    ["delete", ["list", "create"]],
    ["rollout", ["create"]],
  ] as const)(
    "%s: events %j, and nothing else on Events (no get, patch or the core group's events)",
    (strategy, verbs) => {
      const onEvents = autoupdateRules(strategy).filter((r) => r.resources.includes("events"));
      expect(onEvents).toEqual([{ apiGroups: ["events.k8s.io"], resources: ["events"], verbs }]);
    },
  );

  it.each<[StrategyName | undefined, StrategyName]>([
    [undefined, "auto"],
    ["auto", "auto"],
    ["rollout", "rollout"],
    ["evict", "evict"],
    ["delete", "delete"],
  ])(
    "install-cron --strategy %s: the Role carries %s's rules and the job passes --strategy on",
    (given, used) => {
      const objects = buildInstallObjects(
        installSpec({ image: "example.com/x:1", ...(given ? { strategy: given } : {}) }),
      );
      const role = objects.find((o) => o.kind === "Role")!;
      // The record of restarts in vain is for pods going one at a time: a rollout keeps none.
      const record = used === "rollout" ? [] : recordRules("kubectl-autoupdate");
      expect(role["rules"]).toEqual([...autoupdateRules(used), ...record]);
      const cron = JSON.stringify(objects.find((o) => o.kind === "CronJob"));
      expect(cron).toContain(`"--strategy=${used}"`);
      expect(cron.includes("KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP")).toBe(used !== "rollout");
      expect(objects.some((o) => o.kind === "ConfigMap")).toBe(used !== "rollout");
    },
  );

  it("-A --strategy rollout: the ClusterRole alone, no Role for a record it does not keep", () => {
    const objects = buildInstallObjects(
      installSpec({ allNamespaces: true, image: "example.com/x:1", strategy: "rollout" }),
    );
    expect(objects.map((o) => o.kind)).toEqual([
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "CronJob",
    ]);
  });
});
