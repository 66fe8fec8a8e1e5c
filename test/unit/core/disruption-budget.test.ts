import { describe, expect, it } from "vitest";
import { blockingBudgets, selectorMatches } from "../../../src/core/disruption-budget.js";
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
