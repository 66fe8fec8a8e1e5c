/**
 * An error that is every workload's trouble (the cluster out of reach, a login expired) stops the run as a
 * first Ctrl-C does: nothing new starts, the checks under way end, every planned pod says what became of
 * it, and the error comes back beside what was done, for apply to report before it ends with it.
 */
import { describe, expect, it } from "vitest";
import { ClusterAccessError } from "../../../../src/adapters/kubectl-errors.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { restartLine, runRestart, surgingWeb } from "../../../support/restart.js";

const timeout = () =>
  new ClusterAccessError(
    "cannot reach the cluster: the server did not answer in time",
    { kind: "timeout" },
    "",
  );
const stopped = "stopped on losing access to the cluster";

function setup() {
  const clock = new FakeClock();
  return { clock, cluster: new InMemoryCluster(clock) };
}

/** The cluster's reads of controller `name` fail with `error` once `afterMs` have passed on the clock. */
function failReadsOf(
  clock: FakeClock,
  cluster: InMemoryCluster,
  name: string,
  afterMs: number,
  error: Error,
) {
  const get = cluster.getObject.bind(cluster);
  cluster.getObject = async <T>(resource: string, object: string, namespace: string) => {
    if (object !== name) return get<T>(resource, object, namespace);
    await clock.sleep(afterMs, new AbortController().signal);
    throw error;
  };
}

describe("the cluster out of reach in one workload's restart", () => {
  it("starts nothing new, ends the check under way, reports every pod, and gives the error back", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "a", replicas: 1, strategy: "evict" }),
      ...cluster.addController({ name: "b", replicas: 3, strategy: "evict" }),
      ...cluster.addController({ name: "c", replicas: 2, strategy: "evict" }),
    ];
    const error = timeout();
    failReadsOf(clock, cluster, "a", 1500, error);
    const { stoppedBy, reported, restarted } = await runRestart(clock, cluster, pods, { concurrency: 2 });
    expect(stoppedBy).toBe(error);
    // b-0's replacement would be Ready at 3 s: its wait ends when the run stops.
    expect(clock.elapsed()).toBe(1500);
    expect(reported).toEqual([
      "b-0 evicted",
      `a-0 not-started: ${stopped}`,
      // c is begun by a's worker, and starts nothing.
      `c-0 not-started: ${stopped}`,
      `c-1 not-started: ${stopped}`,
      // b's wait makes one last read.
      `b-1 not-started: ${stopped}`,
      `b-2 not-started: ${stopped}`,
    ]);
    expect(restarted.map(restartLine)).toEqual([`evict b-0 on ReplicaSet/b (uid-b): unchecked (${stopped})`]);
    // Nothing goes on behind the report.
    await clock.advance(60_000);
    expect(cluster.evictions()).toEqual(["0 evict shop/b-0 → 201"]);
  });

  it("a rollout under way is reported still in progress; workloads not begun are not started, whatever their strategy", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...surgingWeb(cluster),
      ...cluster.addController({ name: "api", replicas: 1, strategy: "evict" }),
      ...cluster.addController({ kind: "Deployment", name: "shop", replicas: 1, strategy: "rollout" }),
      ...cluster.addController({ name: "db", replicas: 1, strategy: "delete" }),
    ];
    const error = timeout();
    failReadsOf(clock, cluster, "api", 2500, error);
    const { stoppedBy, reported, restarted, outcomes } = await runRestart(clock, cluster, pods, {
      concurrency: 2,
    });
    expect(stoppedBy).toBe(error);
    expect(reported).toEqual([
      `api-0 not-started: ${stopped}`,
      `Deployment/shop not-started: ${stopped}`,
      "Deployment/web in-progress (1 of 2 new replicas updated)",
      `db-0 not-started: ${stopped}`,
    ]);
    expect([...outcomes.values()].map((o) => o.kind).sort()).toEqual([
      "in-progress",
      "in-progress",
      "not-started",
      "not-started",
      "not-started",
    ]);
    expect(restarted.map(restartLine)).toEqual([
      `rollout 2 pods on Deployment/web (uid-web): unchecked (${stopped} while the rollout was in progress)`,
    ]);
    expect(cluster.patches()).toEqual(["0 patch Deployment shop/web restartedAt=2026-11-30T12:00:00Z"]);
    expect(cluster.deletions()).toEqual([]);
  });

  it("an error of no kubectl call (a bug) stops the run the same way", async () => {
    const { clock, cluster } = setup();
    const pods = [
      ...cluster.addController({ name: "a", replicas: 1, strategy: "evict" }),
      ...cluster.addController({ name: "b", replicas: 2, strategy: "evict" }),
    ];
    const bug = new TypeError("Cannot read properties of undefined (reading 'spec')");
    failReadsOf(clock, cluster, "a", 1500, bug);
    const { stoppedBy, reported } = await runRestart(clock, cluster, pods);
    expect(stoppedBy).toBe(bug);
    const reason = `stopped by an error: ${bug.message}`;
    expect(reported).toEqual(["b-0 evicted", `a-0 not-started: ${reason}`, `b-1 not-started: ${reason}`]);
  });
});

describe("a signal first, then the cluster out of reach", () => {
  it("in the budgets' read before any restart: the pods are left by the signal, and no error is the run's", async () => {
    const { clock, cluster } = setup();
    const pods = cluster.addController({ name: "cache", replicas: 2, strategy: "evict" });
    const run = new AbortController();
    cluster.listDisruptionBudgets = async () => {
      // The CronJob's deadline (SIGTERM) comes while the list is in flight; the list then times out.
      run.abort(new Error("received SIGTERM"));
      throw timeout();
    };
    const { stoppedBy, reported } = await runRestart(clock, cluster, pods, { signal: run.signal });
    expect(stoppedBy).toBeUndefined();
    expect(reported).toEqual(["cache-0 not-started: interrupted", "cache-1 not-started: interrupted"]);
    expect(cluster.evictions()).toEqual([]);
  });
});
