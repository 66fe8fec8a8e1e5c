import { describe, expect, it } from "vitest";
import {
  blockingBudgets,
  letsUnreadyPodGo,
  mostDisruptionsAllowed,
  selectorMatches,
} from "../../../src/core/disruption-budget.js";
import { selectorString } from "../../../src/core/readiness.js";

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", "pod-template-hash": "7d9c8b" };
  it.each([
    [{}, true],
    [{ matchLabels: { app: "web" } }, true],
    [{ matchLabels: { app: "db" } }, false],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["front", "edge"] }] }, true],
    [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["front"] }] }, false],
    [{ matchExpressions: [{ key: "canary", operator: "NotIn", values: ["yes"] }] }, true],
    [{ matchExpressions: [{ key: "app", operator: "Exists" }] }, true],
    [{ matchExpressions: [{ key: "canary", operator: "Exists" }] }, false],
    [{ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, false],
    [
      { matchLabels: { app: "web" }, matchExpressions: [{ key: "missing", operator: "In", values: ["x"] }] },
      false,
    ],
  ])("%j → %s", (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });

  it("prints kubectl's -l syntax", () => {
    expect(
      selectorString({
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["a", "b"] },
          { key: "x", operator: "NotIn", values: ["c"] },
          { key: "y", operator: "Exists" },
          { key: "z", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=web,tier in (a,b),x notin (c),y,!z");
  });
});

describe("blockingBudgets", () => {
  it("are the budgets that select the pod and allow no disruption; a missing selector selects nothing", () => {
    const budgets = [
      { name: "web-pdb", selector: { matchLabels: { app: "web" } }, disruptionsAllowed: 0 },
      { name: "web-loose", selector: { matchLabels: { app: "web" } }, disruptionsAllowed: 1 },
      { name: "db-pdb", selector: { matchLabels: { app: "db" } }, disruptionsAllowed: 0 },
      { name: "everything", selector: {}, disruptionsAllowed: 0 },
      { name: "nothing", selector: null, disruptionsAllowed: 0 },
    ];
    expect(blockingBudgets(budgets, { app: "web" }).map((b) => b.name)).toEqual(["web-pdb", "everything"]);
    expect(blockingBudgets(budgets.slice(1, 3), { app: "web" })).toEqual([]);
  });
});

describe("letsUnreadyPodGo: a pod not Ready, as the Eviction API judges it", () => {
  const budget = { name: "guard", selector: {}, disruptionsAllowed: 0 };
  it.each([
    [
      "healthy: as many Ready pods as it wants (IfHealthyBudget, the default)",
      { currentHealthy: 2, desiredHealthy: 2 },
      true,
    ],
    ["short of Ready pods", { currentHealthy: 1, desiredHealthy: 2 }, false],
    ["wanting none (a status not yet written)", { currentHealthy: 0, desiredHealthy: 0 }, false],
    ["no status at all", {}, false],
    [
      "short, but AlwaysAllow",
      { currentHealthy: 0, desiredHealthy: 2, unhealthyPodEvictionPolicy: "AlwaysAllow" },
      true,
    ],
    [
      "short, IfHealthyBudget said",
      { currentHealthy: 1, desiredHealthy: 2, unhealthyPodEvictionPolicy: "IfHealthyBudget" },
      false,
    ],
  ])("%s: %s", (_, status, expected) => {
    expect(letsUnreadyPodGo({ ...budget, ...status })).toBe(expected);
  });
});

describe("mostDisruptionsAllowed: what a budget allows with all its pods Ready", () => {
  const budget = { name: "guard", selector: {}, disruptionsAllowed: 0, desiredHealthy: 7, expectedPods: 9 };
  const seen = (n: number) => ({ seen: n, allSeen: true });

  it("its expected pods less those it wants Ready: a controller's scale, ended pods aside", () => {
    expect(mostDisruptionsAllowed(budget, seen(1))).toBe(2);
  });

  it("a minAvailable count counts every pod it selects, ended ones too, which are never Ready", () => {
    const count = { ...budget, countsEndedPods: true, currentHealthy: 7 };
    expect(mostDisruptionsAllowed(count, seen(1))).toBe(1);
    // Under a selector the ended pods may be out of sight: its Ready pods now are what is known.
    expect(mostDisruptionsAllowed(count, { seen: 0, allSeen: false })).toBe(0);
    expect(mostDisruptionsAllowed({ ...count, currentHealthy: 9 }, { seen: 0, allSeen: false })).toBe(2);
  });
});
