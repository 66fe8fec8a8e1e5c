/**
 * A signal that comes once every restart is made and checked (its Event being recorded, or a rollout's last
 * check passing after it) cuts nothing short: the run ends as its restarts did. apply runs in process
 * against an in-memory cluster, its plan given.
 */
import { PassThrough } from "node:stream";
import { expect, it, vi } from "vitest";
import { ClusterAccessError } from "../../../src/adapters/kubectl-errors.js";
import type { ApplyOptions } from "../../../src/commands/apply.js";
import type { Context } from "../../../src/commands/context.js";
import type { Plan, PlanPod } from "../../../src/core/plan.js";
import { makeChalk } from "../../../src/output/color.js";
import { FakeClock } from "../../support/fake-clock.js";
import { InMemoryCluster } from "../../support/in-memory-cluster.js";
import { surgingWeb } from "../../support/restart.js";
import { testIo } from "../../support/test-io.js";

const given: { plan?: Plan } = {};
vi.mock("../../../src/pipeline/make-plan.js", () => ({
  makePlan: async () => ({ plan: given.plan, warnings: [], notes: [] }),
}));

function applyContext(cluster: InMemoryCluster, clock: FakeClock, extra: Partial<ApplyOptions> = {}) {
  const stdout = new PassThrough();
  let out = "";
  stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  const controller = new AbortController();
  const io = testIo({ stdout: stdout as unknown as NodeJS.WriteStream, signal: controller.signal });
  const kubectl = Object.assign(cluster, {
    namespaceOf: async () => "shop",
    createEvent: async (): Promise<{ ok: true }> => ({ ok: true }),
  });
  const ctx = {
    io,
    options: {
      yes: true,
      dryRun: false,
      wait: true,
      waitTimeoutMs: 60_000,
      output: "table",
      noHeaders: false,
      concurrency: 4,
      strategy: "auto",
      summaryJson: false,
      scope: { namespace: "shop", allNamespaces: false },
      ...extra,
    } as unknown as ApplyOptions,
    clock,
    colors: { stdout: makeChalk(false), stderr: makeChalk(false) },
    debug: () => {},
    kubectl,
    resolver: async () => ({}),
    credentialWarnings: () => [],
    progress: { update() {}, stop() {} },
  } as unknown as Context<ApplyOptions>;
  return { ctx, kubectl, controller, stdout: () => out };
}

/** The run's error, if any; the clock moves only while the run waits on it. */
async function runApply(clock: FakeClock, ctx: Context<ApplyOptions>): Promise<Error | undefined> {
  const { applyCommand } = await import("../../../src/commands/apply.js");
  let settled = false;
  const work = applyCommand(ctx).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  void work.finally(() => {
    settled = true;
  });
  while (!settled) await clock.run(Promise.race([work, new Promise((resolve) => setTimeout(resolve, 5))]));
  return work;
}

it("a SIGTERM while the last restart's Event is recorded: the run ends as its restarts did", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods: PlanPod[] = cluster.addController({ name: "cache", replicas: 2, strategy: "evict" });
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, kubectl, controller, stdout } = applyContext(cluster, clock);
  let events = 0;
  kubectl.createEvent = async () => {
    // The second Event is the last restart's: made, and its replacement checked up on the new digest.
    if (++events === 2) controller.abort(new Error("received SIGTERM"));
    return { ok: true };
  };
  const error = await runApply(clock, ctx);
  expect(stdout()).toContain("2 evicted (of 2 planned)\n");
  expect(error).toBeUndefined();
});

it("a SIGTERM while a rollout's pods are read for its last check, which passes: no interruption", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = surgingWeb(cluster, { replicas: 2 });
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, controller, stdout } = applyContext(cluster, clock);
  let patched = false;
  const patch = cluster.patchRestartedAt.bind(cluster);
  cluster.patchRestartedAt = async (...args: Parameters<typeof patch>) => {
    patched = true;
    return patch(...args);
  };
  const listReplicaSets = cluster.listReplicaSets.bind(cluster);
  cluster.listReplicaSets = async (...args: Parameters<typeof listReplicaSets>) => {
    const listed = await listReplicaSets(...args);
    const done = Object.values(cluster.digests("web")).every((digest) => digest.startsWith("sha256:1"));
    if (patched && cluster.readyPods("web") === 2 && done) controller.abort(new Error("received SIGTERM"));
    return listed;
  };
  const error = await runApply(clock, ctx);
  expect(stdout()).toContain("deployment.apps shop/web restarted (rollout): 2 pods replaced\n");
  expect(error).toBeUndefined();
});

it("a SIGTERM at the last Event, after a pod was left for its own sake: the run ends as its restarts did", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods: PlanPod[] = cluster.addController({ name: "cache", replicas: 2, strategy: "evict" });
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, kubectl, controller, stdout } = applyContext(cluster, clock);
  // Opted out since the plan: left, before any signal.
  cluster.labelPod("cache-0", { "kubectl-autoupdate/ignore": "true" });
  kubectl.createEvent = async () => {
    // cache-1's Event: evicted, its replacement checked up on the new digest; every restart is done.
    controller.abort(new Error("received SIGTERM"));
    return { ok: true };
  };
  const error = await runApply(clock, ctx);
  expect(stdout()).toContain("1 evicted, 1 not started (of 2 planned)\n");
  expect(error?.message).toBe("some planned pods were not restarted; see above");
});

it("a SIGTERM at the last Event, the last pod needing no replacement after a scale-down: no interruption", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods: PlanPod[] = cluster.addController({ name: "cache", replicas: 3, strategy: "evict" });
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, kubectl, controller, stdout } = applyContext(cluster, clock);
  const evict = cluster.evictPod.bind(cluster);
  let evictions = 0;
  cluster.evictPod = async (...args: Parameters<typeof evict>) => {
    const answer = await evict(...args);
    if (++evictions === 3) cluster.scaleTo("cache", 2, 0);
    return answer;
  };
  let events = 0;
  kubectl.createEvent = async () => {
    if (++events === 3) controller.abort(new Error("received SIGTERM"));
    return { ok: true };
  };
  const error = await runApply(clock, ctx);
  expect(stdout()).toContain("3 evicted (of 3 planned)\n");
  expect(error).toBeUndefined();
});

it("a SIGTERM that leaves a pod not started still ends the run as interrupted", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods: PlanPod[] = cluster.addController({ name: "cache", replicas: 2, strategy: "evict" });
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, kubectl, controller } = applyContext(cluster, clock);
  kubectl.createEvent = async () => {
    // The first restart's Event: the second pod is not started yet.
    controller.abort(new Error("received SIGTERM"));
    return { ok: true };
  };
  const error = await runApply(clock, ctx);
  expect(error?.message).toMatch(/^interrupted: no further restarts were started/);
});

it("a SIGTERM while a Deployment is read right before its patch: not rolled, the run ends as interrupted", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  given.plan = { resolver: "registry", strategy: "auto", pods: surgingWeb(cluster, { replicas: 2 }) } as Plan;
  const { ctx, controller, stdout } = applyContext(cluster, clock);
  const get = cluster.getWorkload.bind(cluster);
  cluster.getWorkload = async (...args: Parameters<typeof get>) => {
    const read = await get(...args);
    controller.abort(new Error("received SIGTERM"));
    return read;
  };
  const error = await runApply(clock, ctx);
  expect(cluster.patches()).toEqual([]);
  expect(stdout()).toContain("deployment.apps shop/web not restarted: interrupted");
  expect(error?.message).toMatch(/^interrupted: no further restarts were started/);
});

it("a SIGTERM at one rollout's Event, another Deployment's turn to come (--concurrency 1): interrupted", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods = [
    ...surgingWeb(cluster, { replicas: 2 }),
    ...surgingWeb(cluster, { name: "api", replicas: 2 }),
  ];
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, kubectl, controller, stdout } = applyContext(cluster, clock, { concurrency: 1 });
  kubectl.createEvent = async () => {
    controller.abort(new Error("received SIGTERM"));
    return { ok: true };
  };
  const error = await runApply(clock, ctx);
  expect(stdout()).toContain("deployment.apps shop/api not restarted: interrupted");
  expect(error?.message).toMatch(/^interrupted: no further restarts were started/);
});

it("a SIGTERM after the cluster went out of reach ends the run with that error, not as interrupted", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods: PlanPod[] = [
    ...cluster.addController({ name: "cache", replicas: 2, strategy: "evict" }),
    ...cluster.addController({ name: "db", replicas: 1, strategy: "evict", readyAfterMs: 10_000 }),
  ];
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, kubectl, controller, stdout } = applyContext(cluster, clock);
  const read = cluster.readPod.bind(cluster);
  const unauthorized = "error: You must be logged in to the server (Unauthorized)";
  cluster.readPod = async (namespace: string, name: string) => {
    // cache-1's turn: the login expired.
    if (name === "cache-1") throw new ClusterAccessError(unauthorized, { kind: "unauthorized" }, "");
    return read(namespace, name);
  };
  let events = 0;
  kubectl.createEvent = async () => {
    // The second Event is db-0's, left unchecked by the stop: the SIGTERM comes after it.
    if (++events === 2) controller.abort(new Error("received SIGTERM"));
    return { ok: true };
  };
  const error = await runApply(clock, ctx);
  expect(stdout()).toContain("stopped on losing access to the cluster");
  expect(events).toBe(2);
  expect(error?.message).toBe(unauthorized);
});

it("a SIGTERM first, the cluster out of reach after it: the run ends as interrupted, as its pods say", async () => {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods: PlanPod[] = cluster.addController({ name: "cache", replicas: 2, strategy: "evict" });
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const { ctx, controller, stdout } = applyContext(cluster, clock);
  const read = cluster.readPod.bind(cluster);
  cluster.readPod = async (namespace: string, name: string) => {
    if (name !== "cache-1") return read(namespace, name);
    // The SIGTERM comes while cache-1 is read; the read then fails: the login expired meanwhile.
    controller.abort(new Error("received SIGTERM"));
    const unauthorized = "error: You must be logged in to the server (Unauthorized)";
    throw new ClusterAccessError(unauthorized, { kind: "unauthorized" }, "");
  };
  const error = await runApply(clock, ctx);
  expect(stdout()).toContain("pod shop/cache-1 not evicted: interrupted\n");
  expect(error?.message).toMatch(/^interrupted: no further restarts were started/);
});
