/**
 * Events are best-effort: created side by side with the restarts, and refusals (RBAC, admission, a broken
 * kubectl) summed up in one warning, never an error.
 */
import { describe, expect, it } from "vitest";
import type { KubeEvent } from "../../../../src/core/k8s.js";
import type { PlanPod } from "../../../../src/core/plan.js";
import type { CompletedRestart } from "../../../../src/core/restart-outcomes.js";
import { EventRecorder } from "../../../../src/pipeline/restart/events.js";

const forbidden =
  'Error from server (Forbidden): events.events.k8s.io is forbidden: User "system:serviceaccount:shop:limited" cannot create resource "events" in API group "events.k8s.io" in the namespace "shop"';

function restart(name: string, namespace = "shop"): CompletedRestart {
  const pod = { namespace, name, uid: `uid-${name}`, containers: [] } as unknown as PlanPod;
  return {
    strategy: "evict",
    namespace,
    regarding: { kind: "StatefulSet", name: "db", uid: "uid-db" },
    pod,
    pods: [pod],
    replacement: { kind: "up" },
  };
}

/** An API whose answers come from `answer`, keeping what it was sent. */
function api(
  answer: (event: KubeEvent) => Promise<{ ok: true; createdAt?: number } | { ok: false; reason: string }>,
) {
  const sent: KubeEvent[] = [];
  return {
    sent,
    createEvent(event: KubeEvent) {
      sent.push(event);
      return answer(event);
    },
  };
}

const clock = { now: () => Date.parse("2026-11-30T12:00:00Z") };

describe("EventRecorder", () => {
  it("creates one Event per restart and has nothing to report when all were recorded", async () => {
    const fake = api(async () => ({ ok: true }));
    const recorder = new EventRecorder(fake, clock, "host-1", 4);
    recorder.record(restart("db-0"));
    recorder.record(restart("db-1"));
    expect(await recorder.settle()).toBeNull();
    expect(fake.sent.map((e) => (e["related"] as { name: string }).name)).toEqual(["db-0", "db-1"]);
    expect(fake.sent.every((e) => e["reportingInstance"] === "host-1")).toBe(true);
  });

  it("tells how far the API server's clock runs ahead, from the Events it created; null when none was", async () => {
    const sentAt = clock.now();
    const ahead = api(async () => ({ ok: true, createdAt: sentAt + 90_000 }));
    const recorder = new EventRecorder(ahead, clock, "h", 4);
    recorder.record(restart("db-0"));
    expect(await recorder.serverClockAhead()).toBe(90_000);
    const refused = new EventRecorder(
      api(async () => ({ ok: false, reason: "forbidden" })),
      clock,
      "h",
      4,
    );
    refused.record(restart("db-0"));
    expect(await refused.serverClockAhead()).toBeNull();
  });

  it("does not hold up the restart: record returns before the Event is created", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fake = api(async () => {
      await gate;
      return { ok: true };
    });
    const recorder = new EventRecorder(fake, clock, "h", 4);
    recorder.record(restart("db-0"));
    await Promise.resolve();
    expect(fake.sent).toHaveLength(1);
    let settled = false;
    const done = recorder.settle().then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await done;
    expect(settled).toBe(true);
  });

  it("three refusals are one warning, with the first reason; a thrown error counts as a refusal", async () => {
    let n = 0;
    const fake = api(async () => {
      n++;
      if (n === 2) return { ok: true };
      if (n === 4) throw new Error("kubectl: not found");
      return { ok: false, reason: forbidden };
    });
    const recorder = new EventRecorder(fake, clock, "h", 4);
    for (const name of ["db-0", "db-1", "db-2", "db-3"]) recorder.record(restart(name));
    expect(await recorder.settle()).toBe(
      `could not record 3 of 4 Events (the restarts are not affected): ${forbidden} (and 1 other reason)`,
    );
  });

  it("refused three times in a row: the rest are not sent, and the warning counts them", async () => {
    const fake = api(async () => ({ ok: false, reason: forbidden }));
    const recorder = new EventRecorder(fake, clock, "h", 1);
    for (let i = 0; i < 100; i++) recorder.record(restart(`db-${i}`));
    expect(await recorder.settle()).toBe(
      `could not record 100 of 100 Events (the restarts are not affected): ${forbidden}; after 3 refused in a row, 97 more were not sent`,
    );
    expect(fake.sent).toHaveLength(3);
  });

  it("refused in one namespace (its own policy): the others' Events are still sent; refused in three, none", async () => {
    const fake = api(async (event) =>
      event.metadata.namespace === "locked" ? { ok: false, reason: forbidden } : { ok: true },
    );
    const recorder = new EventRecorder(fake, clock, "h", 1);
    for (let i = 0; i < 5; i++) recorder.record(restart(`db-${i}`, "locked"));
    recorder.record(restart("web-0", "shop"));
    await recorder.settle();
    expect(fake.sent.map((e) => e.metadata.namespace)).toEqual(["locked", "locked", "locked", "shop"]);
    const everywhere = api(async () => ({ ok: false, reason: forbidden }));
    const refused = new EventRecorder(everywhere, clock, "h", 1);
    for (const namespace of ["a", "b", "c", "d", "e"]) refused.record(restart(`db-${namespace}`, namespace));
    await refused.settle();
    expect(everywhere.sent.map((e) => e.metadata.namespace)).toEqual(["a", "b", "c"]);
  });

  it("refused in three namespaces: a restart in vain is still recorded where its namespace has not refused", async () => {
    const quota =
      'Error from server (Forbidden): events.events.k8s.io "x" is forbidden: exceeded quota: events';
    const fake = api(async (event) =>
      event.metadata.namespace === "shop" ? { ok: true } : { ok: false, reason: quota },
    );
    const recorder = new EventRecorder(fake, clock, "h", 1);
    for (const namespace of ["a", "b", "c"]) recorder.record(restart(`db-${namespace}`, namespace));
    recorder.record(restart("web-0"));
    // The replacement came back on the old digest: this Event is what keeps the next run from evicting again.
    const inVain = restart("web-1");
    const restartedFor = `app=sha256:${"0".repeat(64)}>sha256:${"1".repeat(64)}`;
    recorder.record({
      ...inVain,
      replacement: { kind: "problem", reason: "old digest again", restartedFor },
    });
    await recorder.settle();
    const shop = fake.sent.filter((event) => event.metadata.namespace === "shop");
    expect(shop.map((event) => event["reason"])).toEqual(["ImageUpdateFailed"]);
  });

  it("one recorded between refusals starts the count again", async () => {
    let n = 0;
    const fake = api(async () => (++n % 3 === 0 ? { ok: true } : { ok: false, reason: forbidden }));
    const recorder = new EventRecorder(fake, clock, "h", 1);
    for (let i = 0; i < 9; i++) recorder.record(restart(`db-${i}`));
    await recorder.settle();
    expect(fake.sent).toHaveLength(9);
  });

  it("the same refusal for every Event: no 'other reasons'", async () => {
    const recorder = new EventRecorder(
      api(async () => ({ ok: false, reason: forbidden })),
      clock,
      "h",
      4,
    );
    recorder.record(restart("db-0"));
    expect(await recorder.settle()).toBe(
      `could not record 1 of 1 Event (the restarts are not affected): ${forbidden}`,
    );
  });

  it("at most `concurrency` Events in flight: the others wait their turn", async () => {
    const gates: (() => void)[] = [];
    const fake = api(
      () =>
        new Promise((resolve) => {
          gates.push(() => resolve({ ok: true }));
        }),
    );
    const recorder = new EventRecorder(fake, clock, "h", 2);
    for (const name of ["db-0", "db-1", "db-2", "db-3", "db-4"]) recorder.record(restart(name));
    const done = recorder.settle();
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    await tick();
    expect(fake.sent).toHaveLength(2);
    while (gates.length > 0) {
      gates.shift()!();
      await tick();
      // Those sent and not answered yet.
      expect(gates.length).toBeLessThanOrEqual(2);
    }
    expect(await done).toBeNull();
    expect(fake.sent).toHaveLength(5);
  });
});

describe("an Event's time", () => {
  it("is taken as it is sent, not as it was queued: a reader takes the gap for the clocks' difference", async () => {
    let now = Date.parse("2026-11-30T12:00:00Z");
    const moving = { now: () => now };
    // A slow API server: each create takes 20 s, one at a time.
    const fake = api(async () => {
      now += 20_000;
      return { ok: true };
    });
    const recorder = new EventRecorder(fake, moving, "h", 1);
    for (const name of ["db-0", "db-1", "db-2"]) recorder.record(restart(name));
    await recorder.settle();
    expect(fake.sent.map((e) => e["eventTime"])).toEqual([
      "2026-11-30T12:00:00.000000Z",
      "2026-11-30T12:00:20.000000Z",
      "2026-11-30T12:00:40.000000Z",
    ]);
  });
});
