/**
 * Capacity through a restart, followed on the real API server: for each strategy, Deployments of 1 and 3
 * replicas (RollingUpdate, maxSurge 1, maxUnavailable 0) are restarted by `apply` while a watch counts their
 * serving pods (Ready, not terminating). A rollout (auto, rollout) never goes below the replica count; one
 * pod at a time (evict, delete) goes one below it — for the one-replica Deployment, to 0: the dip the
 * rollout avoids, and the proof that the watch sees dips.
 *
 * The file also records each run's lowest count, the time spent below full capacity and apply's wall time,
 * and prints them as a table (README "How much capacity each strategy keeps" comes from it). Timing is
 * printed, never asserted.
 */
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, kk, plugin, settledWorkloads, useCluster } from "../../support/e2e.js";
import { pushImage } from "../../support/images.js";
import { type ReadyCount, watchReady } from "../../support/ready-watch.js";
import { anonymous } from "../../support/registry/distribution.js";
import { deployment } from "../../support/workloads.js";

const strategies = ["auto", "rollout", "evict", "delete"] as const;
type Strategy = (typeof strategies)[number];
const sizes = [1, 3] as const;

const cluster = useCluster({
  nodes: [
    { name: "cap-containerd", runtime: "containerd" },
    { name: "cap-crio", runtime: "cri-o" },
  ],
  registries: [anonymous],
});

interface Case {
  strategy: Strategy;
  replicas: number;
  ns: string;
  image: string;
}
const cases: Case[] = strategies.flatMap((strategy) =>
  sizes.map((replicas) => ({ strategy, replicas, ns: `e2e-cap-${strategy}-${replicas}`, image: "" })),
);

interface Measured {
  strategy: Strategy;
  replicas: number;
  lowest: number;
  /** Milliseconds with fewer serving pods than replicas. */
  belowMs: number;
  applyMs: number;
}
const measured: Measured[] = [];

/** A Deployment that may add one pod and remove none before its replacement is Ready. */
function surging(name: string, ns: string, replicas: number, image: string) {
  const d = deployment(name, ns, replicas, { image });
  return {
    ...d,
    spec: {
      ...d.spec,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    },
  };
}

/** How long the count stayed below `full` between `from` and `to` (ms since the watch started). */
function timeBelow(counts: readonly ReadyCount[], full: number, from: number, to: number): number {
  let total = 0;
  for (const [k, c] of counts.entries()) {
    const start = Math.max(c.at, from);
    const end = Math.min(counts[k + 1]?.at ?? to, to);
    if (c.ready < full && end > start) total += end - start;
  }
  return total;
}

beforeAll(async () => {
  await Promise.all(
    cases.map(async (c) => {
      await cluster.namespace(c.ns);
      c.image = `${cluster.registry.host}/cap-${c.strategy}-${c.replicas}:latest`;
      const v1 = await pushImage(c.image, `capacity ${c.strategy} ${c.replicas} v1`);
      await apply(surging("web", c.ns, c.replicas, c.image));
      await cluster.sim.waitForPods({ namespace: c.ns, selector: "app=web", count: c.replicas, digest: v1 });
      await settledWorkloads(c.ns);
    }),
  );
});

afterAll(() => {
  if (measured.length === 0) return;
  const rows = measured.map(
    (m) =>
      `| ${m.strategy.padEnd(7)} | ${m.replicas} | ${m.lowest} of ${m.replicas} | ${(m.belowMs / 1000).toFixed(1)} s | ${(m.applyMs / 1000).toFixed(1)} s |`,
  );
  console.error(
    [
      "capacity through apply (serving pods = Ready and not terminating, counted by a watch):",
      "| strategy | replicas | lowest serving | time below full | apply wall time |",
      ...rows,
    ].join("\n"),
  );
  const report = process.env["KAU_CAPACITY_REPORT"];
  if (report) writeFileSync(report, `${JSON.stringify(measured, null, 2)}\n`);
});

describe.each(cases)("--strategy $strategy, $replicas replicas (maxSurge 1, maxUnavailable 0)", (c) => {
  it(`apply replaces every pod; serving pods never fall below ${
    c.strategy === "auto" || c.strategy === "rollout" ? "the replica count" : "one less than it"
  }`, async () => {
    const v2 = await pushImage(c.image, `capacity ${c.strategy} ${c.replicas} v2`);
    const before = await cluster.sim.waitForPods({ namespace: c.ns, selector: "app=web", count: c.replicas });
    const watch = await watchReady(cluster.sim.client, c.ns, "app=web");
    expect(watch.current()).toBe(c.replicas);
    const started = Date.now();
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      c.ns,
      "--resolver",
      "registry",
      "--strategy",
      c.strategy,
    ]);
    const applyMs = Date.now() - started;
    const counts = await watch.stop();
    expect(result.code, result.stderr).toBe(0);
    const after = await cluster.sim.waitForPods({
      namespace: c.ns,
      selector: "app=web",
      count: c.replicas,
      digest: v2,
    });
    expect(after.filter((p) => before.some((b) => b.metadata.uid === p.metadata.uid))).toEqual([]);

    const lowest = Math.min(...counts.map((x) => x.ready));
    const rolled = c.strategy === "auto" || c.strategy === "rollout";
    if (rolled) {
      expect(result.stdout).toContain(
        `deployment.apps ${c.ns}/web restarted (rollout): ${c.replicas} ${c.replicas === 1 ? "pod" : "pods"} replaced`,
      );
      expect(lowest, JSON.stringify(counts)).toBe(c.replicas);
    } else {
      const verb = c.strategy === "evict" ? "evicted" : "deleted";
      expect(result.stdout).toContain(`${c.replicas} ${verb} (of ${c.replicas} planned)`);
      // One at a time: one below full, and never further.
      expect(lowest, JSON.stringify(counts)).toBe(c.replicas - 1);
    }
    // The surge is visible too: a rollout runs one pod more than asked while it replaces them.
    const highest = Math.max(...counts.map((x) => x.ready));
    expect(highest).toBe(rolled ? c.replicas + 1 : c.replicas);
    const template = JSON.parse(await kk(["get", "deployment", "web", "-n", c.ns, "-o", "json"])).spec
      .template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"];
    expect(template === undefined).toBe(!rolled);

    measured.push({
      strategy: c.strategy,
      replicas: c.replicas,
      lowest,
      belowMs: timeBelow(counts, c.replicas, 0, applyMs),
      applyMs,
    });
    expect(cluster.sim.errors).toEqual([]);
  });
});
