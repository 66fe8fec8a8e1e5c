import { describe, expect, it } from "vitest";
import { decidePlan } from "../../src/core/decide.js";
import { blockingBudgets, selectorMatches } from "../../src/core/disruption-budget.js";
import { indexOwners } from "../../src/core/owners.js";
import { backOnOldDigest, readyPodCount, selectorString } from "../../src/core/readiness.js";
import { digestOf, makePod } from "../support/pods.js";
import { tagAt } from "../support/resolutions.js";

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

describe("after a deletion", () => {
  const OLD = digestOf("v1");
  const NEW = digestOf("v2");
  const rs = { kind: "ReplicaSet", name: "web-7d9c8b", uid: "rs-uid" };
  const planned = decidePlan({
    resolver: "docker",
    owners: indexOwners([]),
    resolutions: new Map([["docker.io/library/nginx:latest", tagAt(NEW, OLD)]]),
    pods: [
      makePod({
        name: "web-7d9c8b-old",
        owner: rs,
        containers: [
          { name: "app", image: "nginx:latest", runningDigest: OLD, imagePullPolicy: "IfNotPresent" },
        ],
      }),
    ],
  }).pods[0]!;

  it("notices a replacement that came back on the old digest (the node's cached image)", () => {
    const cached = makePod({
      name: "web-7d9c8b-new",
      owner: rs,
      containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
    });
    const pulled = makePod({
      name: "web-7d9c8b-new",
      owner: rs,
      containers: [{ name: "app", image: "nginx:latest", runningDigest: NEW }],
    });
    expect(backOnOldDigest(planned, cached)).toBe(
      "container app: the node started its cached image (imagePullPolicy IfNotPresent)",
    );
    expect(backOnOldDigest(planned, pulled)).toBeNull();
  });

  it("counts the controller's Ready pods, leaving out the deleted one and terminating ones", () => {
    const pod = (name: string, extra = {}) =>
      makePod({
        name,
        owner: rs,
        containers: [{ name: "app", image: "nginx", runningDigest: NEW }],
        ...extra,
      });
    const pods = [
      pod("a", { uid: "a" }),
      pod("b", { uid: "b" }),
      pod("c", { uid: "c", deletionTimestamp: "2026-11-20T11:00:00Z" }),
      pod("d", { uid: "d", phase: "Pending" }),
      makePod({
        name: "other",
        uid: "o",
        owner: { kind: "ReplicaSet", name: "x", uid: "x" },
        containers: [{ name: "a", image: "n", runningDigest: NEW }],
      }),
    ];
    expect(readyPodCount(pods, "rs-uid")).toBe(2);
    expect(readyPodCount(pods, "rs-uid", "a")).toBe(1);
  });
});
