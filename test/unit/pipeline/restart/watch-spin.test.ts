/**
 * A watch that kubectl ends at once, every time, must not turn the wait for a replacement into kubectl runs
 * back to back: at most a list and a watch a poll, and only a list once watching is given up.
 */
import { describe, expect, it } from "vitest";
import type { WatchEnd } from "../../../../src/adapters/watch.js";
import type { PlanPod } from "../../../../src/core/plan.js";
import type { PodWithConditions } from "../../../../src/core/readiness.js";
import { readinessByController } from "../../../../src/pipeline/restart/controller-readiness.js";
import type { RestartApi, RestartOptions } from "../../../../src/pipeline/restart/restart-options.js";
import { FakeClock } from "../../../support/fake-clock.js";

const rs = { kind: "ReplicaSet", name: "web-1", uid: "uid-rs" };
const readyPod = (name: string): PodWithConditions =>
  ({
    metadata: { name, uid: `uid-${name}`, namespace: "shop", ownerReferences: [{ ...rs, controller: true }] },
    spec: { containers: [] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  }) as unknown as PodWithConditions;

/** An API whose controller never gets its replacement, and whose every watch ends as `end` says, at once. */
function api(clock: FakeClock, end: () => WatchEnd) {
  const calls: string[] = [];
  const at = () => clock.elapsed();
  const scripted = {
    async getObject() {
      return {
        metadata: { name: "web-1" },
        spec: { replicas: 2, selector: { matchLabels: { app: "web" } } },
      };
    },
    async listPodsBySelector(_ns: string, _sel: string, onVersion?: (v: string) => void) {
      calls.push(`${at()} list`);
      onVersion?.("7");
      return [readyPod("web-1-b")];
    },
    async watchPodsBySelector(): Promise<WatchEnd> {
      calls.push(`${at()} watch`);
      return end();
    },
  } as unknown as RestartApi;
  return { scripted, calls };
}

async function waitTenSeconds(end: () => WatchEnd) {
  const clock = new FakeClock();
  const { scripted, calls } = api(clock, end);
  const run = new AbortController();
  const controllers = readinessByController(scripted, run.signal, clock);
  const pod = {
    namespace: "shop",
    name: "web-1-a",
    uid: "uid-web-1-a",
    controller: rs,
  } as unknown as PlanPod;
  const readiness = (await controllers.of(pod))!;
  const before = { ready: 2, live: 2, uids: new Set(["uid-web-1-a", "uid-web-1-b"]), notReady: [] };
  const options = {
    clock,
    signal: run.signal,
    pollMs: 1000,
    waitTimeoutMs: 10_000,
  } as unknown as RestartOptions;
  const waited = await clock.run(readiness.waitFor(before, pod, options));
  await controllers.stop();
  return { waited, calls, elapsed: clock.elapsed() };
}

describe("a watch that ends at once every time", () => {
  it("failed (a proxy cutting streams): no busy loop; given up after 3, then one list a poll", async () => {
    const { waited, calls, elapsed } = await waitTenSeconds(() => ({ kind: "failed", reason: "502" }));
    expect(waited).toMatchObject({ timedOut: expect.stringContaining("within the wait timeout") });
    expect(elapsed).toBe(10_000);
    expect(calls.filter((c) => c.endsWith("watch"))).toEqual(["0 watch", "1000 watch", "2000 watch"]);
    // 11 polls (0 s … 10 s), one list each: as cheap as the polling path once given up.
    expect(calls.filter((c) => c.endsWith("list"))).toHaveLength(11);
  });

  it("closed with exit 0 and no event (a proxy ending the stream cleanly) is given up too, not watched at every poll", async () => {
    const { calls } = await waitTenSeconds(() => ({ kind: "closed" }));
    expect(calls.filter((c) => c.endsWith("list"))).toHaveLength(11);
    expect(calls.filter((c) => c.endsWith("watch"))).toEqual(["0 watch", "1000 watch", "2000 watch"]);
  });
});
