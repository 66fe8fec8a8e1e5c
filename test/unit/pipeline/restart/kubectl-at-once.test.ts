/**
 * How many kubectl one workload runs at once while its pods are evicted: README bounds apply at three times
 * --concurrency (a restart, an Event, and the watch of its pods), and sizes the CronJob's memory on it.
 */
import { expect, it } from "vitest";
import type { RestartApi } from "../../../../src/pipeline/restart/restart-options.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

/** Each call of the cluster as a kubectl process taking 50 ms; the watch runs until it is stopped. */
function counted(clock: FakeClock, cluster: InMemoryCluster) {
  const seen = { now: 0, max: 0, during: [] as string[] };
  const running = new Set<string>();
  const start = (what: string) => {
    running.add(what);
    seen.now = running.size;
    if (running.size > seen.max) {
      seen.max = running.size;
      seen.during = [...running];
    }
  };
  const end = (what: string) => {
    running.delete(what);
  };
  let n = 0;
  const oneOff = [
    "getObject",
    "readPod",
    "listPodsBySelector",
    "listReplicaSets",
    "evictPod",
    "deletePod",
    "listDisruptionBudgets",
    "getWorkload",
    "patchRestartedAt",
  ] as const;
  const api = cluster as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of oneOff) {
    const original = api[name]!.bind(cluster);
    api[name] = async (...args: unknown[]) => {
      const what = `${name}#${++n}`;
      start(what);
      try {
        await clock.sleep(50, new AbortController().signal);
        return await original(...args);
      } finally {
        end(what);
      }
    };
  }
  const watch = api["watchPodsBySelector"]!.bind(cluster);
  api["watchPodsBySelector"] = async (...args: unknown[]) => {
    const what = `watch#${++n}`;
    start(what);
    try {
      return await watch(...args);
    } finally {
      end(what);
    }
  };
  return seen;
}

it("one Deployment evicted one pod at a time: one kubectl at a time beside the watch of its pods", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = cluster.addController({ kind: "Deployment", name: "web", replicas: 3, strategy: "evict" });
  const seen = counted(clock, cluster);
  const { reported } = await runRestart(clock, cluster as unknown as RestartApi as InMemoryCluster, pods, {
    concurrency: 1,
  });
  expect(reported).toEqual(["web-r1-0 evicted", "web-r1-1 evicted", "web-r1-2 evicted"]);
  // The watch, and one call: with the Event, the three kubectl the README counts for a workload.
  expect(seen.max).toBeLessThanOrEqual(2);
});
