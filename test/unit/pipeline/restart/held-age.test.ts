/**
 * The age a held pod's reason gives its controller's restart in vain, over the runs that hold it and record
 * the hold again (an ImageUpdateHeld Event every 20 minutes; the record ConfigMap stamped at each run): the
 * restart's, not the last record's.
 */
import { describe, expect, it } from "vitest";
import type { Plan, PlanPod } from "../../../../src/core/plan.js";
import {
  holdEvent,
  type ListedRestartEvent,
  rememberedRestart,
  restartEvent,
} from "../../../../src/core/restart-event.js";
import { rememberedIn } from "../../../../src/core/restart-record.js";
import { holdRestartedInVain, holdsToRecordAgain } from "../../../../src/core/restarted-for.js";
import { RecordKeeper } from "../../../../src/pipeline/restart/record-keeper.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { planContainer, planPod } from "../../../support/plan-pods.js";
import { digestOf, uuidOf } from "../../../support/pods.js";
import { recordConfigMap, uncheckedLeftToEvents } from "../../../support/record-configmap.js";

const OLD = digestOf("v1");
const NEW = digestOf("v2");
const move = `app=${OLD}>${NEW}`;
const rs = { kind: "ReplicaSet", name: "web-7d9c8b", uid: uuidOf("shop/ReplicaSet/web-7d9c8b") };
const minute = 60_000;

const stalePod = (name: string): PlanPod =>
  planPod(name, {
    controller: rs,
    containers: [planContainer({ runningDigest: OLD, latestDigest: NEW, pullPolicy: "IfNotPresent" })],
    restart: { strategy: "evict", controller: rs, reason: "" },
  });
const plan = (): Plan => ({ resolver: "registry", pods: [stalePod("web-7d9c8b-a")] });

/** An Event as the API server lists it back, created at `at` (its clock the run's). */
function listed(event: ReturnType<typeof restartEvent>, at: number): ListedRestartEvent {
  const creationTimestamp = new Date(at).toISOString().replace(/\.\d+Z$/, "Z");
  return { ...(event as unknown as ListedRestartEvent), metadata: { ...event.metadata, creationTimestamp } };
}

describe("the age a held pod's reason gives the restart in vain", () => {
  it("stays the restart's while the runs record the hold again in Events", () => {
    const clock = new FakeClock();
    const start = clock.now();
    const cameBack = stalePod("web-7d9c8b-x");
    const failed = restartEvent(
      {
        strategy: "evict",
        namespace: "shop",
        regarding: rs,
        pod: cameBack,
        pods: [cameBack],
        replacement: {
          kind: "problem",
          reason: "the replacement runs the old digest again",
          restartedFor: move,
        },
      },
      start,
      "cron-1",
    );
    const events = [listed(failed, start)];
    let reason = "";
    // A run every 10 minutes for three hours, each recording the hold again when it is due.
    for (let now = start + 10 * minute; now <= start + 180 * minute; now += 10 * minute) {
      const held = holdRestartedInVain(
        plan(),
        events.map(rememberedRestart).filter((r) => r !== null),
        now,
      );
      reason = held.pods[0]!.reason;
      for (const { hold, pods } of holdsToRecordAgain(held, now))
        events.push(listed(holdEvent(hold, pods, now, "cron-1"), now));
    }
    expect(events.length).toBeGreaterThan(2);
    expect(reason).toMatch(/^ReplicaSet\/web-7d9c8b restarted a pod for \w+ 3h ago, which came back/);
  });

  it("stays the restart's while the runs stamp it again in the record ConfigMap", async () => {
    const clock = new FakeClock();
    const server = recordConfigMap();
    const ref = { namespace: "ops", name: "kubectl-autoupdate" };
    const first = new RecordKeeper(server.kubectl, ref, clock, uncheckedLeftToEvents);
    first.restarted({
      strategy: "evict",
      namespace: "shop",
      regarding: rs,
      pod: stalePod("web-7d9c8b-x"),
      pods: [stalePod("web-7d9c8b-x")],
      replacement: {
        kind: "problem",
        reason: "the replacement runs the old digest again",
        restartedFor: move,
      },
    });
    expect(await first.save()).toBeNull();
    let reason = "";
    // A daily run for five days (the Events long expired), each stamping what it held on.
    for (let day = 1; day <= 5; day++) {
      await clock.advance(24 * 60 * minute);
      const held = holdRestartedInVain(plan(), rememberedIn(server.data(), clock.now()), clock.now());
      reason = held.pods[0]!.reason;
      const keeper = new RecordKeeper(server.kubectl, ref, clock, uncheckedLeftToEvents);
      for (const { hold } of holdsToRecordAgain(held, clock.now())) keeper.held(hold);
      expect(await keeper.save()).toBeNull();
    }
    expect(reason).toMatch(/^ReplicaSet\/web-7d9c8b restarted a pod for \w+ 5d ago, which came back/);
  });
});
