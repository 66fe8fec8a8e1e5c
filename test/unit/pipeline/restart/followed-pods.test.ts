/**
 * FollowedPods: one list, then a watch keeps the pods current, so reads cost no request; a watch that ended
 * is replaced by a list at the next read, one refused leaves every read to a list.
 */
import { getEventListeners } from "node:events";
import { beforeEach, describe, expect, it } from "vitest";
import type { WatchChange, WatchEnd } from "../../../../src/adapters/watch.js";
import type { PodWithConditions } from "../../../../src/core/readiness.js";
import { FollowedPods } from "../../../../src/pipeline/restart/followed-pods.js";

const pod = (name: string, ready = "True"): PodWithConditions =>
  ({
    metadata: { name, uid: `uid-${name}`, namespace: "shop" },
    spec: { containers: [] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: ready }] },
  }) as PodWithConditions;

/**
 * An API whose lists return `pods` (with a resourceVersion unless `versionless`) and whose watches the test
 * drives.
 */
function scriptedApi(pods: PodWithConditions[], { versionless = false, endsLate = false } = {}) {
  const calls: string[] = [];
  const watches: {
    query: unknown;
    change: (c: WatchChange<PodWithConditions>) => void;
    end: (e: WatchEnd) => void;
    signal: AbortSignal;
  }[] = [];
  let version = 0;
  const api = {
    async listPodsBySelector(namespace: string, selector: string, onVersion?: (v: string) => void) {
      calls.push(`list ${namespace} ${selector}`);
      if (!versionless) onVersion?.(String(++version));
      return [...pods];
    },
    watchPodsBySelector(
      query: unknown,
      onChange: (c: WatchChange<PodWithConditions>) => void,
      signal: AbortSignal,
    ): Promise<WatchEnd> {
      calls.push(`watch from ${(query as { resourceVersion: string }).resourceVersion}`);
      return new Promise((resolve) => {
        watches.push({ query, change: onChange, end: resolve, signal });
        // A stopped kubectl ends at once, or (endsLate) when the test says.
        if (!endsLate) signal.addEventListener("abort", () => resolve({ kind: "closed" }), { once: true });
      });
    },
  };
  return { api, calls, watches };
}

const names = (pods: readonly PodWithConditions[]) =>
  pods.map((p) => `${p.metadata.name}:${p.status?.conditions?.[0]?.status}`).sort();
const settle = () => new Promise((r) => setImmediate(r));
/** The time the reads are made at, ms: moved on by the test. */
let time = 0;
const clock = { now: () => time };
beforeEach(() => {
  time = 0;
});

describe("FollowedPods", () => {
  it("lists once, then reads what the watch from that list's resourceVersion brings, with no request", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a"), pod("web-b")]);
    const run = new AbortController();
    const followed = new FollowedPods(api, "shop", "app=web", run.signal, clock);
    expect(names(await followed.read())).toEqual(["web-a:True", "web-b:True"]);
    expect(watches[0]!.query).toEqual({
      namespace: "shop",
      labelSelector: "app=web",
      resourceVersion: "1",
      timeoutSeconds: 300,
    });
    watches[0]!.change({ type: "DELETED", object: pod("web-a") });
    watches[0]!.change({ type: "ADDED", object: pod("web-c", "False") });
    expect(names(await followed.read())).toEqual(["web-b:True", "web-c:False"]);
    watches[0]!.change({ type: "MODIFIED", object: pod("web-c") });
    expect(names(await followed.read())).toEqual(["web-b:True", "web-c:True"]);
    expect(calls).toEqual(["list shop app=web", "watch from 1"]);
    await followed.stop();
    // The run's signal keeps no listener of a controller done with.
    expect(getEventListeners(run.signal, "abort")).toHaveLength(0);
  });

  it("a read is fresh only after a list or a change the watch brought since the read before", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await followed.read();
    expect(followed.fresh).toBe(true);
    // The watch the list started has brought nothing: it may be held back.
    await followed.read();
    expect(followed.fresh).toBe(false);
    watches[0]!.change({ type: "MODIFIED", object: pod("web-a", "False") });
    await followed.read();
    expect(followed.fresh).toBe(true);
    await followed.read();
    expect(followed.fresh).toBe(false);
    expect(calls).toEqual(["list shop app=web", "watch from 1"]);
    await followed.stop();
  });

  it("a watch quiet for 10 s is checked by a list, however few reads came meanwhile (a long wait)", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await followed.read();
    time = 9_000;
    watches[0]!.change({ type: "MODIFIED", object: pod("web-a", "False") });
    time = 18_000;
    await followed.read();
    expect(calls).toEqual(["list shop app=web", "watch from 1"]);
    time = 19_000;
    await followed.read();
    expect(followed.fresh).toBe(true);
    expect(calls).toEqual(["list shop app=web", "watch from 1", "list shop app=web", "watch from 2"]);
    await followed.stop();
  });

  it("a watch that ended (its timeout, a failure) gives way to a list at the next read, and a new watch from it", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await followed.read();
    watches[0]!.change({ type: "ADDED", object: pod("web-b") });
    watches[0]!.end({ kind: "failed", reason: "the watch of pods ended: 410 Expired" });
    await settle();
    // The list is the truth now: web-b, seen only by the watch that failed, is not in it.
    expect(names(await followed.read())).toEqual(["web-a:True"]);
    expect(calls).toEqual(["list shop app=web", "watch from 1", "list shop app=web", "watch from 2"]);
    await followed.stop();
  });

  it("a refused watch leaves every read to a list, and is not asked again", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await followed.read();
    watches[0]!.end({ kind: "refused", reason: "pods is forbidden" });
    await settle();
    await followed.read();
    await followed.read();
    expect(calls).toEqual(["list shop app=web", "watch from 1", "list shop app=web", "list shop app=web"]);
  });

  it("watches that fail before bringing anything, 3 in a row, are given up: the reads only list", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    for (let i = 0; i < 3; i++) {
      await followed.read();
      watches[i]!.end({ kind: "failed", reason: "the watch of pods ended: 500" });
      await settle();
    }
    await followed.read();
    await followed.read();
    const lists = Array(5).fill("list shop app=web");
    expect(calls.filter((c) => c.startsWith("list"))).toEqual(lists);
    expect(calls.filter((c) => c.startsWith("watch"))).toEqual([
      "watch from 1",
      "watch from 2",
      "watch from 3",
    ]);
  });

  it("a watch that brought a change before failing does not count toward giving up", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    for (let i = 0; i < 4; i++) {
      await followed.read();
      if (i === 1) watches[i]!.change({ type: "ADDED", object: pod("web-b") });
      watches[i]!.end({ kind: "failed", reason: "the watch of pods ended: 410 Expired" });
      await settle();
    }
    await followed.read();
    expect(calls.filter((c) => c.startsWith("watch"))).toHaveLength(5);
    await followed.stop();
  });

  it("a list without a resourceVersion is not watched from", async () => {
    const { api, calls } = scriptedApi([pod("web-a")], { versionless: true });
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await followed.read();
    await followed.read();
    expect(calls).toEqual(["list shop app=web", "list shop app=web"]);
  });

  it("read(listed) lists though a watch runs, and watches again from that list", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await followed.read();
    watches[0]!.change({ type: "ADDED", object: pod("web-b") });
    expect(names(await followed.read(true))).toEqual(["web-a:True"]);
    expect(watches[0]!.signal.aborted).toBe(true);
    expect(names(await followed.read())).toEqual(["web-a:True"]);
    expect(calls).toEqual(["list shop app=web", "watch from 1", "list shop app=web", "watch from 2"]);
    await followed.stop();
  });

  it("a watch that brought nothing for 10 reads is checked by a list, and watched again from it", async () => {
    const { api, calls, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await followed.read();
    for (let i = 0; i < 9; i++) await followed.read();
    // A change starts the count again.
    watches[0]!.change({ type: "MODIFIED", object: pod("web-a", "False") });
    for (let i = 0; i < 10; i++) await followed.read();
    expect(calls).toEqual(["list shop app=web", "watch from 1"]);
    // The list, not the watch (stalled behind a proxy, say), says web-a is Ready.
    expect(names(await followed.read())).toEqual(["web-a:True"]);
    expect(calls).toEqual(["list shop app=web", "watch from 1", "list shop app=web", "watch from 2"]);
    expect(watches[0]!.signal.aborted).toBe(true);
    await followed.stop();
  });

  it("pause waits the poll, or less: until the watch brings a change", async () => {
    const slept: string[] = [];
    const clock = {
      now: () => 0,
      sleep: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve) => {
          slept.push(`sleep ${ms}`);
          const woken = () => {
            slept.push("woken");
            resolve();
          };
          signal?.addEventListener("abort", woken, { once: true });
        }),
    };
    const run = new AbortController();
    const { api, watches } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", run.signal, clock);
    await followed.read();
    const changed = followed.pause(clock, 1000, run.signal);
    watches[0]!.change({ type: "MODIFIED", object: pod("web-a", "False") });
    await changed;
    expect(slept).toEqual(["sleep 1000", "woken"]);
    // A watch that ends wakes no one (the next read lists, a poll later, however soon watches end); with
    // none, the clock's own sleep, which only the run's signal cuts short.
    const ending = followed.pause(clock, 1000, run.signal);
    watches[0]!.end({ kind: "closed" });
    await settle();
    expect(slept).toEqual(["sleep 1000", "woken", "sleep 1000"]);
    run.abort();
    await ending;
    expect(slept).toEqual(["sleep 1000", "woken", "sleep 1000", "woken"]);
  });

  it("two reads at once start one watch", async () => {
    const { api, calls } = scriptedApi([pod("web-a")]);
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    await Promise.all([followed.read(), followed.read()]);
    expect(calls).toEqual(["list shop app=web", "list shop app=web", "watch from 1"]);
    await followed.stop();
  });

  it("stop, or the run's signal, stops the watch; stop waits for its kubectl to end; no watch starts after", async () => {
    const run = new AbortController();
    const { api, calls, watches } = scriptedApi([pod("web-a")], { endsLate: true });
    const followed = new FollowedPods(api, "shop", "app=web", run.signal, clock);
    await followed.read();
    run.abort();
    expect(watches[0]!.signal.aborted).toBe(true);
    let stopped = false;
    const stopping = followed.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    watches[0]!.end({ kind: "closed" });
    await stopping;
    expect(getEventListeners(run.signal, "abort")).toHaveLength(0);
    await followed.read();
    expect(calls).toEqual(["list shop app=web", "watch from 1", "list shop app=web"]);
  });

  it("a stop while a list is in flight: no watch starts after it", async () => {
    let listed: () => void = () => {};
    const { api, calls } = scriptedApi([pod("web-a")]);
    const list = api.listPodsBySelector;
    api.listPodsBySelector = async (namespace, selector, onVersion) => {
      await new Promise<void>((r) => {
        listed = r;
      });
      return list(namespace, selector, onVersion);
    };
    const followed = new FollowedPods(api, "shop", "app=web", new AbortController().signal, clock);
    const reading = followed.read();
    await settle();
    await followed.stop();
    listed();
    await reading;
    expect(calls).toEqual(["list shop app=web"]);
  });
});
