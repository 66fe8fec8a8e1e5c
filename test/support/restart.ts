/** Runs apply's restarts against an InMemoryCluster on a FakeClock, and writes down what they reported. */
import { indexOwners } from "../../src/core/owners.js";
import type { Plan, PlanPod, StrategyName } from "../../src/core/plan.js";
import type { CompletedRestart, PodOutcome, RolloutOutcome } from "../../src/core/restart-outcomes.js";
import { decideRestarts, workloadsToRead } from "../../src/core/restart-strategy.js";
import { gatherBudgets, gatherWorkloads } from "../../src/pipeline/gather.js";
import type { RestartOptions } from "../../src/pipeline/restart/restart-options.js";
import { restartPods } from "../../src/pipeline/restart/restart-pods.js";
import type { FakeClock } from "./fake-clock.js";
import type { ControllerSpec, InMemoryCluster } from "./in-memory-cluster.js";

/**
 * A Deployment of 4 replicas, maxSurge 1 and maxUnavailable 1, one track of app=web (a budget over app=web
 * spans them).
 */
export const webTrack = (name: string, extra: Partial<ControllerSpec> = {}): ControllerSpec => ({
  kind: "Deployment",
  name,
  replicas: 4,
  maxSurge: 1,
  maxUnavailable: 1,
  podLabels: { app: "web", track: name },
  ...extra,
});

/** Deployment web: two replicas, rolled one surge pod at a time (none down meanwhile). */
export const surgingWeb = (cluster: InMemoryCluster, spec: Partial<ControllerSpec> = {}) =>
  cluster.addController({
    kind: "Deployment",
    name: "web",
    replicas: 2,
    maxSurge: 1,
    maxUnavailable: 0,
    strategy: "rollout",
    ...spec,
  });

/**
 * The pods' restarts as the plan decides them in namespace shop: the workloads read, and under auto the
 * budgets too (`readBudgets`: false as when their list is refused).
 */
export async function decidedPlan(
  cluster: InMemoryCluster,
  pods: readonly PlanPod[],
  strategy: StrategyName,
  readBudgets = true,
  narrowed = false,
): Promise<Plan> {
  const planned: Plan = { resolver: "registry", pods: pods.map(({ restart: _, ...pod }) => pod) };
  const scope = { namespace: "shop", allNamespaces: false };
  const workloads = await gatherWorkloads(cluster, scope, workloadsToRead(planned, strategy), strategy, []);
  const budgets = readBudgets ? await gatherBudgets(cluster, scope, strategy, []) : {};
  return decideRestarts(planned, {
    strategy,
    owners: indexOwners([]),
    ...workloads,
    ...budgets,
    ...(narrowed ? { narrowed } : {}),
  });
}

const outcomeText = (outcome: PodOutcome | RolloutOutcome) =>
  "reason" in outcome ? `${outcome.kind}: ${outcome.reason}` : outcome.kind;

/** Each report as a line: `web-0 evicted`, `web-0 problem: …`, `Deployment/web rolled-out`. */
export async function runRestart(
  clock: FakeClock,
  cluster: InMemoryCluster,
  pods: readonly PlanPod[],
  options: Partial<RestartOptions> = {},
) {
  const reported: string[] = [];
  const restarted: CompletedRestart[] = [];
  const result = await clock.run(
    restartPods(cluster, pods, {
      strategy: "auto",
      dryRun: false,
      wait: true,
      waitTimeoutMs: 60_000,
      pollMs: 1000,
      concurrency: 4,
      signal: new AbortController().signal,
      clock,
      onOutcome: (pod, outcome) => reported.push(`${pod.name} ${outcomeText(outcome)}`),
      onReplacementProblem: (problem) => reported.push(`${problem.pod.name} problem: ${problem.reason}`),
      onRollout: (report) => {
        const { outcome } = report;
        const detail =
          outcome.kind === "rolled-out"
            ? `rolled-out ${outcome.pods}`
            : outcome.kind === "in-progress"
              ? `in-progress (${outcome.progress})`
              : outcomeText(outcome);
        reported.push(`${report.controller.kind}/${report.controller.name} ${detail}`);
      },
      onRestarted: (restart) => restarted.push(restart),
      ...options,
    }),
  );
  return { ...result, reported, restarted };
}

/** A completed restart as a line: `evict web-0 on ReplicaSet/web (uid-web): up`. */
export function restartLine(restart: CompletedRestart): string {
  const { regarding: c, replacement: r } = restart;
  const what = restart.pod
    ? `${restart.strategy} ${restart.pod.name}`
    : `${restart.strategy} ${restart.pods.length} pods`;
  const how =
    r.kind === "up" ? "up" : r.kind === "unchecked" ? `unchecked (${r.why})` : `problem: ${r.reason}`;
  return `${what} on ${c.kind}/${c.name} (${c.uid ?? "no uid"}): ${how}`;
}
