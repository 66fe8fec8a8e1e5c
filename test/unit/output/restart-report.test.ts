/** What apply prints as it restarts: per pod, per rollout, the closing count and the RunSummary line. */
import { describe, expect, it } from "vitest";
import type { PlanPod, RestartMethod } from "../../../src/core/plan.js";
import type {
  CompletedRestart,
  PodOutcome,
  ReplacementProblem,
  RolloutOutcome,
  RolloutReport,
} from "../../../src/core/restart-outcomes.js";
import { makeChalk } from "../../../src/output/color.js";
import {
  describeOutcome,
  describeReplacementProblem,
  describeRollout,
  describeUncheckedReplacement,
  renderRestartSummary,
  renderRunSummary,
} from "../../../src/output/restart-report.js";
import { planPod } from "../../support/plan-pods.js";

const chalk = makeChalk(false);
const pod = (
  name: string,
  strategy: RestartMethod,
  controller = { kind: "Deployment", name: "web" },
): PlanPod =>
  planPod(name, { owner: controller, containers: [], restart: { strategy, controller, reason: "" } });
const rollout = (outcome: RolloutOutcome, pods = [pod("web-a", "rollout")]): RolloutReport => ({
  namespace: "shop",
  controller: { kind: "Deployment", name: "web" },
  pods,
  outcome,
});

describe("lines", () => {
  it.each<[PodOutcome, RestartMethod, string]>([
    [{ kind: "evicted" }, "evict", "pod shop/p evicted"],
    [{ kind: "deleted" }, "delete", "pod shop/p deleted"],
    [
      { kind: "not-started", reason: "PodDisruptionBudget guard allows no disruption now" },
      "evict",
      "pod shop/p not evicted: PodDisruptionBudget guard allows no disruption now",
    ],
    [{ kind: "failed", reason: "boom" }, "delete", "pod shop/p not deleted: boom"],
    [{ kind: "replaced" }, "evict", "pod shop/p not evicted: it was replaced since the plan was made"],
    [{ kind: "gone" }, "evict", "pod shop/p already gone"],
    [
      { kind: "gone", reason: "the workload was scaled down during its rollout" },
      "rollout",
      "pod shop/p gone: the workload was scaled down during its rollout",
    ],
  ])("%j of a pod to %s", (outcome, strategy, line) => {
    expect(describeOutcome(pod("p", strategy), outcome, false, chalk)).toBe(line);
  });

  it.each<[RolloutOutcome, boolean, string]>([
    [{ kind: "rolled-out", pods: 3 }, false, "deployment.apps shop/web restarted (rollout): 3 pods replaced"],
    [
      { kind: "rolled-out", pods: 3, unchecked: "interrupted" },
      false,
      "deployment.apps shop/web restarted (rollout): 3 pods replaced, not checked for the old digest (interrupted)",
    ],
    [{ kind: "started" }, true, "deployment.apps shop/web restarted (rollout, server dry run)"],
    [
      { kind: "started" },
      false,
      "deployment.apps shop/web restart started (rollout, not followed: --no-wait)",
    ],
    [
      { kind: "in-progress", progress: "1 of 3 new replicas updated" },
      false,
      "deployment.apps shop/web restart still in progress on the server (1 of 3 new replicas updated)",
    ],
    [
      { kind: "not-started", reason: "interrupted" },
      false,
      "deployment.apps shop/web not restarted: interrupted",
    ],
    [
      { kind: "replaced", gone: ["web-a"] },
      false,
      "deployment.apps shop/web not restarted: its planned pod is already gone",
    ],
    [
      { kind: "replaced", gone: [] },
      false,
      "deployment.apps shop/web not restarted: its planned pod was replaced since the plan was made",
    ],
    [
      { kind: "replaced", gone: [], current: ["web-a"] },
      false,
      "deployment.apps shop/web not restarted: its planned pod restarted onto the new image since the plan was made",
    ],
    [
      { kind: "failed", reason: "Deployment/web: ProgressDeadlineExceeded", patched: true },
      false,
      "deployment.apps shop/web restarted (rollout), but: Deployment/web: ProgressDeadlineExceeded",
    ],
    [
      { kind: "failed", reason: "Error from server (Forbidden)", patched: false },
      false,
      "deployment.apps shop/web not restarted: Error from server (Forbidden)",
    ],
  ])("rollout %j", (outcome, dryRun, line) => {
    expect(describeRollout(rollout(outcome), dryRun, chalk)).toBe(line);
  });

  it("a rollout with nothing left to roll, its planned pods gone, replaced and on the new image: each counted", () => {
    const pods = ["web-a", "web-b", "web-c"].map((name) => pod(name, "rollout"));
    const outcome: RolloutOutcome = { kind: "replaced", gone: ["web-a"], current: ["web-b"] };
    expect(describeRollout(rollout(outcome, pods), false, chalk)).toBe(
      "deployment.apps shop/web not restarted: its planned pods were replaced since the plan was made, restarted onto the new image or are already gone (1 on the new image, 1 gone, of 3)",
    );
  });

  it("a reason quoting the cluster is escaped for the terminal: one line, no control character", () => {
    // An admission webhook's message, say, in kubectl's error.
    const said = "denied\u001b[1A\u001b[2K\rpod shop/p evicted\nok";
    const shown = "denied^[[1A^[[2K\\rpod shop/p evicted\\nok";
    expect(describeOutcome(pod("p", "evict"), { kind: "failed", reason: said }, false, chalk)).toBe(
      `pod shop/p not evicted: ${shown}`,
    );
    expect(describeRollout(rollout({ kind: "not-started", reason: said }), false, chalk)).toBe(
      `deployment.apps shop/web not restarted: ${shown}`,
    );
    expect(describeRollout(rollout({ kind: "in-progress", progress: said }), false, chalk)).toBe(
      `deployment.apps shop/web restart still in progress on the server (${shown})`,
    );
    const problem: ReplacementProblem = { pod: pod("p", "evict"), reason: said };
    expect(describeReplacementProblem(problem, chalk)).toBe(`pod shop/p evicted, but: ${shown}`);
    const restart = (replacement: CompletedRestart["replacement"]): CompletedRestart => {
      const evicted = pod("p", "evict");
      return {
        strategy: "evict",
        namespace: "shop",
        regarding: evicted.restart!.controller,
        pod: evicted,
        pods: [evicted],
        replacement,
      };
    };
    expect(describeUncheckedReplacement(restart({ kind: "unchecked", why: said }))).toBe(
      `pod shop/p evicted, its replacement not checked: ${shown}`,
    );
    expect(describeUncheckedReplacement(restart({ kind: "up" }))).toBeNull();
  });

  it("rollouts of workloads of the same name in two namespaces (-A) are told apart", () => {
    const done: RolloutOutcome = { kind: "rolled-out", pods: 1 };
    expect(describeRollout({ ...rollout(done), namespace: "team-a" }, false, chalk)).toBe(
      "deployment.apps team-a/web restarted (rollout): 1 pod replaced",
    );
    expect(describeRollout({ ...rollout(done), namespace: "team-b" }, false, chalk)).toBe(
      "deployment.apps team-b/web restarted (rollout): 1 pod replaced",
    );
  });
});

describe("the closing count", () => {
  it("delete only: as before strategies existed", () => {
    const outcomes = new Map<PlanPod, PodOutcome>([
      [pod("a", "delete"), { kind: "deleted" }],
      [pod("b", "delete"), { kind: "failed", reason: "x" }],
      [pod("c", "delete"), { kind: "deleted" }],
    ]);
    expect(renderRestartSummary(outcomes, 0, false)).toBe("2 deleted, 1 failed (of 3 planned)\n");
    expect(
      renderRestartSummary(new Map([[pod("a", "delete"), { kind: "not-started", reason: "x" }]]), 0, false),
    ).toBe("0 deleted, 1 not started (of 1 planned)\n");
  });

  it("mixed strategies, a dry run", () => {
    const outcomes = new Map<PlanPod, PodOutcome>([
      [pod("a", "rollout"), { kind: "rolled" }],
      [pod("b", "rollout"), { kind: "rolled" }],
      [pod("c", "evict"), { kind: "evicted" }],
    ]);
    expect(renderRestartSummary(outcomes, 0, true)).toBe(
      "2 replaced by rollout, 1 evicted (of 3 planned, server dry run)\n",
    );
  });

  it("interrupted rollouts and problems are counted", () => {
    const outcomes = new Map<PlanPod, PodOutcome>([
      [pod("a", "rollout"), { kind: "in-progress" }],
      [pod("c", "evict"), { kind: "evicted" }],
    ]);
    expect(renderRestartSummary(outcomes, 1, false)).toBe(
      "1 evicted, 1 still being replaced on the server (of 2 planned); 1 workload not replaced as planned\n",
    );
  });
});

describe("the RunSummary line", () => {
  it("quotes the cluster's words with nothing a terminal would act on: C1 controls and bidi marks escaped", () => {
    const denied = pod("web-a", "evict");
    const reason = "admission webhook denied the request: \u009b2J\u202e txt.exe";
    const plan = { resolver: "registry" as const, strategy: "evict" as const, pods: [denied] };
    const restarted = {
      outcomes: new Map<PlanPod, PodOutcome>([[denied, { kind: "failed", reason }]]),
      problems: [],
      rollouts: [],
    };
    const line = renderRunSummary(plan, restarted, false);
    expect(line).not.toMatch(/[\u0080-\u009f\u202e]/u);
    expect(JSON.parse(line).controllers[0].reason).toBe(reason);
  });

  it("per controller, the strategy used and the outcome; counts by strategy; the old fields stay", () => {
    const web = [pod("web-a", "rollout"), pod("web-b", "rollout")];
    const legacy = { kind: "ReplicationController", name: "legacy" };
    const evicted = [pod("legacy-a", "evict", legacy), pod("legacy-b", "evict", legacy)];
    const plan = { resolver: "registry" as const, strategy: "auto" as const, pods: [...web, ...evicted] };
    const line = renderRunSummary(
      plan,
      {
        outcomes: new Map<PlanPod, PodOutcome>([
          [web[0]!, { kind: "rolled" }],
          [web[1]!, { kind: "rolled" }],
          [evicted[0]!, { kind: "evicted" }],
          [
            evicted[1]!,
            { kind: "not-started", reason: "PodDisruptionBudget guard allows no disruption now" },
          ],
        ]),
        problems: [],
        rollouts: [rollout({ kind: "rolled-out", pods: 2 }, web)],
      },
      false,
    );
    expect(line.endsWith("\n")).toBe(true);
    expect(JSON.parse(line)).toEqual({
      kind: "RunSummary",
      resolver: "registry",
      strategy: "auto",
      dryRun: false,
      pods: 4,
      stale: 4,
      skipped: 0,
      unknown: 0,
      current: 0,
      optedOut: 0,
      finished: 0,
      deleted: 0,
      evicted: 1,
      rolledOut: 2,
      inProgress: 0,
      failed: 1,
      gone: 0,
      replacedSincePlan: 0,
      notReplaced: 0,
      restarts: { rollout: 2, evict: 2, delete: 0 },
      controllers: [
        {
          namespace: "shop",
          kind: "Deployment",
          name: "web",
          strategy: "rollout",
          pods: 2,
          outcome: "restarted",
        },
        {
          namespace: "shop",
          kind: "ReplicationController",
          name: "legacy",
          strategy: "evict",
          pods: 2,
          outcome: "failed",
          reason: "PodDisruptionBudget guard allows no disruption now",
        },
      ],
    });
  });
});

describe("each controller's outcome says what happened to it", () => {
  const legacy = { kind: "ReplicationController", name: "legacy" };
  const outcomeOf = (outcomes: PodOutcome[], dryRun = false) => {
    const pods = outcomes.map((_, i) => pod(`legacy-${i}`, "evict", legacy));
    const plan = { resolver: "registry" as const, pods };
    const restarted = {
      outcomes: new Map(pods.map((p, i) => [p, outcomes[i]!])),
      problems: [],
      rollouts: [],
    };
    return JSON.parse(renderRunSummary(plan, restarted, dryRun));
  };

  it.each<[string, PodOutcome[], boolean, object]>([
    ["every pod evicted", [{ kind: "evicted" }, { kind: "evicted" }], false, { outcome: "restarted" }],
    [
      "one evicted, one already gone",
      [{ kind: "evicted" }, { kind: "gone" }],
      false,
      { outcome: "restarted" },
    ],
    ["evicted in a server dry run: nothing restarted", [{ kind: "evicted" }], true, { outcome: "started" }],
    [
      "every pod replaced since the plan: nothing restarted",
      [{ kind: "replaced" }, { kind: "replaced" }],
      false,
      { outcome: "not-started", reason: "replaced since the plan" },
    ],
    ["every pod already gone", [{ kind: "gone" }], false, { outcome: "not-started", reason: "already gone" }],
    [
      "one evicted, then a budget refused",
      [
        { kind: "evicted" },
        { kind: "not-started", reason: "PodDisruptionBudget guard allows no disruption now" },
      ],
      false,
      { outcome: "failed", reason: "PodDisruptionBudget guard allows no disruption now" },
    ],
  ])("%s", (_, outcomes, dryRun, expected) => {
    expect(outcomeOf(outcomes, dryRun).controllers[0]).toMatchObject(expected);
  });

  it("evicted, its replacement not checked (--no-wait, a stop): started, not restarted", () => {
    const pods = [pod("legacy-0", "evict", legacy), pod("legacy-1", "evict", legacy)];
    const plan = { resolver: "registry" as const, pods };
    const evicted: PodOutcome = { kind: "evicted" };
    const outcomes = new Map(pods.map((p) => [p, evicted]));
    const why = "ReplicaSet/legacy was scaled down meanwhile, to 1 pod";
    const restarted = { outcomes, problems: [], rollouts: [], unchecked: new Map([[pods[1]!, why]]) };
    expect(JSON.parse(renderRunSummary(plan, restarted, false)).controllers[0]).toMatchObject({
      outcome: "started",
      reason: `not checked (${why})`,
    });
  });

  it("rolled out, its old-digest check cut by a stop: started, saying so, not restarted", () => {
    const pods = [pod("web-0", "rollout"), pod("web-1", "rollout")];
    const plan = { resolver: "registry" as const, pods };
    const outcomes = new Map<PlanPod, PodOutcome>(pods.map((p) => [p, { kind: "rolled" }]));
    const rolled = rollout({ kind: "rolled-out", pods: 2, unchecked: "interrupted" }, pods);
    const restarted = { outcomes, problems: [], rollouts: [rolled] };
    expect(JSON.parse(renderRunSummary(plan, restarted, false)).controllers[0]).toMatchObject({
      outcome: "started",
      reason: "not checked for the old digest (interrupted)",
    });
  });

  it("rolled out and not followed: --no-wait says so, as an eviction's does; a dry run only started", () => {
    const pods = [pod("web-0", "rollout")];
    const plan = { resolver: "registry" as const, pods };
    const outcomes = new Map<PlanPod, PodOutcome>(pods.map((p) => [p, { kind: "in-progress" }]));
    const restarted = { outcomes, problems: [], rollouts: [rollout({ kind: "started" }, pods)] };
    const summary = (dryRun: boolean) => JSON.parse(renderRunSummary(plan, restarted, dryRun)).controllers[0];
    expect(summary(false)).toMatchObject({ outcome: "started", reason: "not checked (--no-wait)" });
    expect(summary(true)).not.toHaveProperty("reason");
  });

  it("each controller is given its first pod's problem, and finding it costs reads in proportion to the problems", () => {
    let reads = 0;
    const controllers = Array.from({ length: 150 }, (_, i) => ({ kind: "ReplicaSet", name: `rs${i}` }));
    const pods = controllers.flatMap((c) => [pod(`${c.name}-0`, "evict", c), pod(`${c.name}-1`, "evict", c)]);
    const problems = pods
      .filter((_, i) => i % 2 === 1)
      .map((p): ReplacementProblem => {
        const problem = { pod: p, reason: `${p.name} came back on the old digest` };
        return new Proxy(problem, {
          get: (target, key) => {
            if (key === "pod") reads++;
            return target[key as keyof typeof target];
          },
        });
      });
    const evicted: PodOutcome = { kind: "evicted" };
    const restarted = { outcomes: new Map(pods.map((p) => [p, evicted])), problems, rollouts: [] };
    const summary = JSON.parse(renderRunSummary({ resolver: "registry", pods }, restarted, false));
    expect(summary.controllers.find((c: { name: string }) => c.name === "rs7")).toMatchObject({
      name: "rs7",
      outcome: "failed",
      reason: "rs7-1 came back on the old digest",
    });
    expect(reads).toBeLessThanOrEqual(4 * problems.length);
  });

  it("the counts account for every planned pod", () => {
    const summary = outcomeOf([
      { kind: "evicted" },
      { kind: "gone" },
      { kind: "replaced" },
      { kind: "failed", reason: "x" },
    ]);
    expect(summary).toMatchObject({ evicted: 1, gone: 1, replacedSincePlan: 1, failed: 1 });
  });
});

describe("a workload someone rolled since the plan, as each strategy finds it", () => {
  const summaryOf = (strategy: RestartMethod, outcome: PodOutcome) => {
    const pods = [pod("web-a", strategy), pod("web-b", strategy)];
    const rollouts =
      strategy === "rollout" ? [rollout({ kind: "replaced", gone: ["web-a", "web-b"] }, pods)] : [];
    const restarted = { outcomes: new Map(pods.map((p) => [p, outcome])), problems: [], rollouts };
    return {
      summary: JSON.parse(renderRunSummary({ resolver: "registry", pods }, restarted, false)),
      count: renderRestartSummary(restarted.outcomes, 0, false),
    };
  };

  it("its pods already gone: not started, and no failure, under rollout as under evict", () => {
    const rolled = summaryOf("rollout", { kind: "gone" });
    const evicted = summaryOf("evict", { kind: "gone" });
    for (const { summary } of [rolled, evicted]) {
      expect(summary).toMatchObject({ failed: 0, gone: 2 });
      expect(summary.controllers[0]).toMatchObject({ outcome: "not-started", reason: "already gone" });
    }
    expect(rolled.count).toBe("0 replaced by rollout, 2 already gone (of 2 planned)\n");
    expect(evicted.count).toBe("0 evicted, 2 already gone (of 2 planned)\n");
  });
});

describe("the closing count, one unit each", () => {
  it("a rollout past its deadline: its pods still being replaced, and one workload not as planned", () => {
    const outcomes = new Map<PlanPod, PodOutcome>([
      [pod("a", "rollout"), { kind: "in-progress" }],
      [pod("b", "rollout"), { kind: "in-progress" }],
    ]);
    expect(renderRestartSummary(outcomes, 1, false)).toBe(
      "0 replaced by rollout, 2 still being replaced on the server (of 2 planned); 1 workload not replaced as planned\n",
    );
  });
});

describe("the RunSummary's controllers", () => {
  it("come by namespace, kind and name, rollouts first, whatever order their restarts ended in", () => {
    const workload = (kind: string, name: string) => ({ kind, name });
    const evicted = [
      pod("z-1", "evict", workload("ReplicaSet", "z")),
      pod("a-1", "delete", workload("ReplicaSet", "a")),
      pod("a-2", "evict", workload("DaemonSet", "a")),
    ];
    const rolled = (name: string) => rollout({ kind: "rolled-out", pods: 1 }, [pod(`${name}-1`, "rollout")]);
    const restarted = {
      outcomes: new Map<PlanPod, PodOutcome>(evicted.map((p) => [p, { kind: "evicted" }])),
      problems: [],
      rollouts: [
        { ...rolled("web"), controller: workload("StatefulSet", "web") },
        { ...rolled("api"), controller: workload("Deployment", "web") },
      ],
    };
    const plan = { resolver: "registry" as const, pods: evicted };
    const { controllers } = JSON.parse(renderRunSummary(plan, restarted, false));
    expect(controllers.map((c: { kind: string; name: string }) => `${c.kind}/${c.name}`)).toEqual([
      "Deployment/web",
      "StatefulSet/web",
      "DaemonSet/a",
      "ReplicaSet/a",
      "ReplicaSet/z",
    ]);
  });
});
