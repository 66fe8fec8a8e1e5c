/**
 * How many Ready pods a controller has, and what it is short of, before a pod of it is evicted or deleted;
 * then the wait until it has them again (or, scaled down meanwhile, as many as it should have now), its
 * pods followed by a watch (a list where watching is refused).
 */

import type { PodHealth } from "../../core/disruption-budget.js";
import { controllerOf, type OwnerObject, type Pod } from "../../core/k8s.js";
import { isRecreatingController, kindResources } from "../../core/kind-resources.js";
import type { PlanPod } from "../../core/plan.js";
import {
  asAvailable,
  type ControllerCounts,
  desiredPodCount,
  isReady,
  isScaledAway,
  type LabelSelector,
  livePods,
  missingPodCount,
  needsNoReplacement,
  notReadyPods,
  readyNotAvailable,
  readyPodCount,
  readySince,
  type ScaledDown,
  selectorString,
  servingPods,
  terminatingPods,
  waitingNote,
} from "../../core/readiness.js";
import { daemonPodsWithoutSuccessor, type Workload } from "../../core/workload.js";
import { ToolFailedError } from "../../errors.js";
import type { Clock } from "../../util/clock.js";
import { counted } from "../../util/counted.js";
import { firstFew } from "../../util/first-few.js";
import { FollowedPods } from "./followed-pods.js";
import type { RestartApi, RestartOptions } from "./restart-options.js";

/**
 * The controllers that make a pod's successor only once the pod is gone. A ReplicaSet makes it as soon as
 * the pod is terminating, and that successor counts as not Ready until it is up.
 */
const replacedOnceGone = new Set(["StatefulSet", "DaemonSet"]);

export interface Snapshot {
  ready: number;
  /** Its pods that should be serving, Ready or not: not terminating, not ended. */
  live: number;
  uids: Set<string>;
  /**
   * The controller's pods that are not Ready (not terminating), and for a StatefulSet or DaemonSet those
   * terminating too (`NAME terminating`): it is short of each until it is gone.
   */
  notReady: string[];
  /** Those of `notReady` still Pending (never started): the Eviction API ignores budgets for them. */
  pending?: string[];
  /** Each of its ReplicaSets (or itself) with fewer pods than it should have; absent when none. */
  missing?: Shortfall[];
  /**
   * How many pods the workload should have (with its Deployment's other ReplicaSets'); absent when one of
   * them does not say.
   */
  desired?: number;
  /**
   * The controller is being deleted, a finalizer holding it (an orphaning delete leaves its pods running):
   * it makes no new pods. (One found deleted has its pods collected, or orphaned: the pod's owner check.)
   */
  controllerDeleting?: true;
  /**
   * A DaemonSet's pods on nodes it no longer schedules to, which would get no successor; absent when none.
   */
  misscheduled?: number;
  /**
   * Its pods Ready, but for less than its minReadySeconds: serving, yet not available to the controller,
   * so they hold its other pods as one not Ready does; absent when none.
   */
  settling?: string[];
  /** When each of `settling` will have been Ready for minReadySeconds, ms, by name. */
  settlesAt?: ReadonlyMap<string, number>;
  minReadySeconds?: number;
}

/** How a pod stands for its budgets, as its controller's pods were last seen (no snapshot: Ready). */
export function healthIn(snapshot: Snapshot | null | undefined, name: string): PodHealth {
  if (snapshot?.pending?.includes(name)) return "pending";
  return snapshot?.notReady.includes(name) ? "unready" : "ready";
}

/** A controller, and how many pods it should have (undefined: it does not say). */
interface Counted {
  kind: string;
  name: string;
  uid: string;
  desired: number | undefined;
}

/** A controller that has made fewer pods than it should have (`desired`). */
interface Shortfall {
  kind: string;
  name: string;
  made: number;
  desired: number;
}

/**
 * How a wait for a replacement ended: `ready`, the controller's new pods, all Ready; `notReplaced`, why
 * the controller, scaled down meanwhile, needs none; how it `timedOut`; or that the run `stopped` first
 * (Ctrl-C, the cluster out of reach). The last two with the gone pod's successors it had started by then
 * (from the last list read), Ready or not.
 */
type Waited =
  | { ready: Pod[] }
  | { notReplaced: string }
  | { timedOut: string; started: Pod[] }
  | { stopped: true; started: Pod[] };

/** While a wait finds the controller with fewer pods than before, how often its replica count is read. */
const recountEveryMs = 10_000;

/** The pod evicted or deleted, as far as telling its successor goes. */
type GonePod = Pick<PlanPod, "uid" | "name" | "node">;

export interface Readiness {
  snapshot(): Promise<Snapshot>;
  /**
   * The controller, whole, as read now, or by the read the next snapshot would make, which then reads it no
   * more: null when it was not found, undefined when it could not be read.
   */
  controllerNow(): Promise<Workload | null | undefined>;
  /**
   * Waits until there are as many Ready pods as before without `gone`, every new pod is Ready, and one of
   * them is `gone`'s successor; or, scaled down meanwhile, until the controller has as many pods as it
   * should now besides `gone`, all Ready, and nothing else is due (core/readiness.ts needsNoReplacement).
   */
  waitFor(before: Snapshot, gone: GonePod, options: RestartOptions): Promise<Waited>;
}

/**
 * Why a Ready pod of the controller must not go now: another of its pods is not Ready (a replacement that
 * never came up, a crash loop, a pod that cannot be scheduled), or it has fewer pods than it should (a
 * quota refusing one), and taking a Ready one would leave the workload shorter still; null when neither,
 * or the pod itself is not Ready (its going costs no capacity). Across runs this keeps a bad image from
 * taking one more pod down at every run. A DaemonSet that runs pods on nodes it no longer schedules to
 * holds every pod, Ready or not (core/workload.ts daemonPodsWithoutSuccessor).
 */
export function shortOfReadyPods(pod: PlanPod, before: Snapshot): string | null {
  const { notReady, missing = [], misscheduled = 0 } = before;
  const withoutSuccessor = daemonPodsWithoutSuccessor(
    `${pod.controller?.kind}/${pod.controller?.name}`,
    misscheduled,
  );
  if (withoutSuccessor) return withoutSuccessor;
  // The pod itself settling is serving: its going costs capacity, but it holds nothing of its own.
  const settling = settlingBesides(before, pod);
  // A pod gone since the plan costs nothing more (its successor may be the one not Ready): the eviction or
  // deletion finds it gone, by its UID.
  if (notReady.length + settling.length + missing.length === 0) return null;
  if (notReady.includes(pod.name) || !before.uids.has(pod.uid)) return null;
  // A Deployment's pods not Ready may be any of its ReplicaSets'.
  const workload = (pod.owner?.kind === "Deployment" ? pod.owner : pod.controller) ?? pod.restart!.controller;
  const short = missing.map((m) => ({
    kind: m.kind,
    name: m.name,
    has: `${m.made} of the ${counted(m.desired, "pod")} it should have`,
  }));
  const unready = [
    ...(notReady.length > 0 ? [`${counted(notReady.length, "pod")} not Ready (${firstFew(notReady)})`] : []),
    ...(settling.length > 0
      ? [
          `${counted(settling.length, "pod")} Ready for less than its minReadySeconds (${before.minReadySeconds} s: ${firstFew(settling)})`,
        ]
      : []),
  ];
  if (unready.length > 0) {
    const has = unready.join(" and ");
    const same = short.find((s) => s.kind === workload.kind && s.name === workload.name);
    if (same) same.has = `${has} and ${same.has}`;
    else short.unshift({ kind: workload.kind, name: workload.name, has });
  }
  const says = short.map((s) => `${s.kind}/${s.name} has ${s.has}`).join("; ");
  return `${says}: restarting a Ready one now would leave it shorter`;
}

/** The pods settling besides `pod` itself, whose own settling holds nothing. */
function settlingBesides(before: Snapshot, pod: PlanPod): string[] {
  return (before.settling ?? []).filter((name) => name !== pod.name);
}

/**
 * Whether what holds a Ready pod is only pods still to come in its group that are not Ready (a crash
 * loop the new image fixes): they go first, costing no capacity, and this one after them, rather than
 * being left for a later run.
 */
export function heldOnlyByLater(before: Snapshot, pod: PlanPod, later: readonly PlanPod[]): boolean {
  const { notReady, missing = [], misscheduled = 0 } = before;
  const settling = settlingBesides(before, pod);
  const names = new Set(later.map((p) => p.name));
  if (missing.length > 0 || settling.length > 0 || misscheduled > 0) return false;
  return notReady.length > 0 && notReady.every((name) => names.has(name));
}

/**
 * The snapshot once the pods that hold `pod` only by settling (Ready, not yet for minReadySeconds: a
 * scale-up a moment ago) have settled: waited for, up to --wait-timeout and minReadySeconds more (as a
 * replacement is), rather than leaving the pod for a later run. Anything else that holds it is not waited
 * for. `waited`: time passed, so what was read of the pod and its budgets before may be old.
 */
export async function settledSnapshot(
  readiness: Readiness,
  before: Snapshot,
  pod: PlanPod,
  options: Pick<RestartOptions, "clock" | "signal" | "waitTimeoutMs">,
): Promise<{ snapshot: Snapshot; waited: boolean }> {
  const { clock } = options;
  const deadline = clock.now() + options.waitTimeoutMs + (before.minReadySeconds ?? 0) * 1000;
  let snapshot = before;
  let waited = false;
  for (;;) {
    const settling = settlingBesides(snapshot, pod);
    const otherwise = snapshot.notReady.length + (snapshot.missing?.length ?? 0);
    if (settling.length === 0 || otherwise > 0) return { snapshot, waited };
    const settledAt = Math.max(
      ...settling.map((name) => snapshot.settlesAt?.get(name) ?? Number.POSITIVE_INFINITY),
    );
    if (settledAt > deadline || options.signal.aborted) return { snapshot, waited };
    await clock.sleep(Math.max(0, settledAt - clock.now()), options.signal);
    waited = true;
    snapshot = await readiness.snapshot();
  }
}

/** The readiness of the controllers of one group's pods, followed until `stop`. */
export interface ControllersReadiness {
  /** The pod's controller's, found once per controller; null when its pods cannot be counted. */
  of(pod: PlanPod): Promise<Readiness | null>;
  /** Stops following every controller's pods, and waits for it. */
  stop(): Promise<void>;
}

/**
 * Each pod's controller's readiness, found once per controller (a Deployment's pods may belong to more
 * than one ReplicaSet), its pods followed until `stop` or `signal`.
 */
export function readinessByController(
  api: RestartApi,
  signal: AbortSignal,
  clock: Clock,
): ControllersReadiness {
  const found = new Map<string, Promise<ControllerReadiness | null>>();
  return {
    of(pod) {
      const key = `${pod.namespace}/${pod.controller?.uid ?? ""}`;
      let readiness = found.get(key);
      if (!readiness) {
        readiness = controllerReadiness(api, pod, signal, clock);
        found.set(key, readiness);
      }
      return readiness;
    },
    async stop() {
      const all = await Promise.all([...found.values()].map((readiness) => readiness.catch(() => null)));
      await Promise.all(all.map((readiness) => readiness?.pods.stop()));
    },
  };
}

type ControllerReadiness = Readiness & { pods: FollowedPods };

/** Counts the pod's direct controller's Ready pods through the controller's own selector. */
async function controllerReadiness(
  api: RestartApi,
  pod: PlanPod,
  signal: AbortSignal,
  clock: Clock,
): Promise<ControllerReadiness | null> {
  const controller = pod.controller;
  if (!controller || !isRecreatingController(controller.kind)) return null;
  const resource = kindResources[controller.kind];
  const read = () =>
    api.getObject<
      ControllerCounts & {
        metadata: { name: string; deletionTimestamp?: string };
        spec?: { selector?: LabelSelector | Record<string, string> };
      }
    >(resource, controller.name, pod.namespace);
  const object = await read();
  // kubectl's whole object: a StatefulSet's or DaemonSet's template too.
  let lastRead = object as Workload | null;
  const selector = selectorOf(controller.kind, object?.spec?.selector);
  if (selector === "") return null;
  const siblingSelector = object?.spec?.selector as LabelSelector | undefined;
  const listSiblings = () => siblingReplicaSets(api, pod, siblingSelector);
  // A failure here fails the workload's restarts, as the controller's read does: without the other
  // ReplicaSets, a rollout of theirs that never came up could not hold its Ready pods, for the whole run.
  let siblings = await listSiblings();
  const withSiblings = siblings !== null;
  const followed = new FollowedPods(api, pod.namespace, siblings?.selector ?? selector, signal, clock);
  let own = object;
  /**
   * Reads the controller and its Deployment's other ReplicaSets again, as an autoscaler or a rollout may
   * have changed them; false when that fails, and what was read before stands (a hold is the safe side).
   */
  const readCounts = async () => {
    // One after the other: beside the watch of its pods, a workload runs at most two kubectl at once.
    const now = await read()
      .then(async (object) => [object, await listSiblings()] as const)
      .catch(unreadAs(null));
    if (now === null) return false;
    lastRead = now[0] as Workload | null;
    // Read before and not found now: deleted (a ReplicaSet a rollout left at 0, past its history limit), so
    // it wants no pod, as one scaled to 0.
    [own, siblings] = [now[0] ?? (own && wantingNone(controller.kind, own)), withSiblings ? now[1] : null];
    return true;
  };
  /** How many pods it, and the other ReplicaSets of its Deployment, should have. */
  const counts = (): Counted[] => [
    { ...controller, desired: own ? desiredPodCount(controller.kind, own) : undefined },
    ...(siblings?.replicaSets.map((rs) => ({ kind: "ReplicaSet", ...rs })) ?? []),
  ];
  /** The controller and its Deployment's other ReplicaSets, by UID: the pods of the workload. */
  const workload = () => new Set([controller.uid, ...(siblings?.replicaSets.map((rs) => rs.uid) ?? [])]);
  /** The names of the workload's pods (its own and its Deployment's other ReplicaSets') not Ready. */
  const workloadNotReady = (pods: readonly Pod[]) => [
    ...notReadyPods(pods, controller.uid),
    ...(siblings?.replicaSets.flatMap((rs) => notReadyPods(pods, rs.uid)) ?? []),
  ];
  // A StatefulSet's pod that a scale-down removes gets no successor: it neither counts as made nor, while
  // it terminates, leaves the StatefulSet short.
  const scaledAway = (name: string) =>
    controller.kind === "StatefulSet" && own !== null && isScaledAway(controller.name, name, own);
  const minReadySeconds = () => own?.spec?.minReadySeconds ?? 0;
  // When each pod turned Ready: seen turning Ready during the run, by this clock (the API server's may
  // differ, and a skew must neither cut minReadySeconds short nor stretch it); else its condition's time,
  // but never later than now. A pod made during the run (not in the first read) is timed from when it was
  // first seen Ready, by this clock, though no read saw it not Ready: a clock ahead of the API server's
  // would otherwise count a replacement available at once.
  const readyAt = new Map<string, number>();
  const seenNotReady = new Set<string>();
  let firstRead: Set<string> | undefined;
  // The Ready condition's transition time as last read: a newer one is a fresh turn to Ready, though no
  // read saw the pod not Ready in between (a restart between two polls).
  const transitions = new Map<string, number | undefined>();
  const readyTimes = (pods: readonly Pod[]) => {
    if (!firstRead) {
      firstRead = new Set(pods.map((pod) => pod.metadata.uid ?? ""));
      // The pods already Ready are timed by their conditions, the API server's clock: this one ahead of it
      // would count them available too early. When its status counts more of them Ready but not yet
      // available than their conditions say here, that many of the last to turn Ready are timed from now.
      // Each of a Deployment's ReplicaSets counts its own.
      if (minReadySeconds() > 0) {
        const counted = [
          { uid: controller.uid, unavailable: own ? readyNotAvailable(own) : 0 },
          ...(siblings?.replicaSets ?? []),
        ];
        for (const { uid, unavailable } of counted) {
          for (const pod of settlingByStatus(pods, uid, unavailable, minReadySeconds(), clock.now())) {
            readyAt.set(pod.metadata.uid ?? "", clock.now());
          }
        }
      }
    }
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? "";
      const stated = readySince(pod);
      const turnedAgain =
        transitions.has(uid) && stated !== undefined && stated > (transitions.get(uid) ?? stated);
      transitions.set(uid, stated);
      if (!isReady(pod)) {
        seenNotReady.add(uid);
        readyAt.delete(uid);
      } else if (turnedAgain) {
        readyAt.set(uid, clock.now());
      } else if (!readyAt.has(uid)) {
        const sinceSeen = seenNotReady.has(uid) || !firstRead.has(uid);
        readyAt.set(uid, sinceSeen ? clock.now() : Math.min(clock.now(), stated ?? Number.NEGATIVE_INFINITY));
      }
    }
  };
  /** The pods as the controller counts them now: Ready only once Ready for its minReadySeconds. */
  const available = (pods: Pod[]) => {
    readyTimes(pods);
    return asAvailable(pods, minReadySeconds(), clock.now(), (pod) => readyAt.get(pod.metadata.uid ?? ""));
  };
  // The counts were read just now for the first snapshot; each later one reads them again, as an
  // autoscaler may have scaled the controller up (a quota then refusing the pods) or down since.
  let fresh = true;
  /** What the controller, as last read, says against the pods it had before the pod went. */
  const scaledDown = (before: Snapshot): ScaledDown | undefined => {
    const desired = own ? desiredPodCount(controller.kind, own) : undefined;
    return own && desired !== undefined ? { desired, counts: own, liveBefore: before.live } : undefined;
  };
  return {
    pods: followed,
    async controllerNow() {
      if (!fresh && !(await readCounts())) return undefined;
      fresh = true;
      return lastRead;
    },
    async snapshot() {
      const listed = await followed.read();
      if (!fresh) await readCounts();
      fresh = false;
      const pods = available(listed);
      const notReady = workloadNotReady(listed);
      const pending = listed
        .filter((p) => p.status?.phase === "Pending" && notReady.includes(p.metadata.name))
        .map((p) => p.metadata.name);
      const settling = workloadNotReady(pods).filter((name) => !notReady.includes(name));
      const settlesAt = new Map(
        listed
          .filter((p) => settling.includes(p.metadata.name))
          .map((p) => [p.metadata.name, (readyAt.get(p.metadata.uid ?? "") ?? 0) + minReadySeconds() * 1000]),
      );
      // A ReplicaSet's pod terminating is replaced at once: until its successor is made (a quota that still
      // counts the terminating pod may refuse it), the ReplicaSet is one short.
      const made = pods.filter(
        (p) =>
          !scaledAway(p.metadata.name) &&
          (replacedOnceGone.has(controller.kind) || !p.metadata.deletionTimestamp),
      );
      const missing = counts().flatMap(({ kind, name, uid, desired }) => {
        const short = missingPodCount(made, uid, desired);
        return short > 0 ? [{ kind, name, made: desired! - short, desired: desired! }] : [];
      });
      const misscheduled = controller.kind === "DaemonSet" ? (own?.status?.numberMisscheduled ?? 0) : 0;
      const desired = counts().map((c) => c.desired);
      return {
        ...(desired.every((n) => n !== undefined) ? { desired: desired.reduce((a, b) => a + b, 0) } : {}),
        ...(own?.metadata.deletionTimestamp ? { controllerDeleting: true } : {}),
        ...(missing.length > 0 ? { missing } : {}),
        ...(misscheduled > 0 ? { misscheduled } : {}),
        ready: readyPodCount(pods, controller.uid),
        live: servingPods(pods, controller.uid).length,
        uids: new Set(pods.map((p) => p.metadata.uid ?? "")),
        minReadySeconds: minReadySeconds(),
        ...(settling.length > 0 ? { settling, settlesAt } : {}),
        ...(pending.length > 0 ? { pending } : {}),
        notReady: [
          ...notReady,
          ...(replacedOnceGone.has(controller.kind)
            ? terminatingPods(pods, controller.uid, controller.kind === "DaemonSet")
                .filter((name) => !scaledAway(name))
                .map((name) => `${name} terminating`)
            : []),
        ],
      };
    },
    async waitFor(before, gone, options) {
      // --wait-timeout is for the replacement to come up; minReadySeconds more for it to be available.
      const deadline = clock.now() + options.waitTimeoutMs + minReadySeconds() * 1000;
      const name = `${controller.kind}/${controller.name}`;
      let failure = "";
      let started: Pod[] = [];
      // Scaled down meanwhile (an autoscaler), the controller needs only the pods it should have now: read
      // during this wait, as a count read before the pod went may be one it has since left.
      let scaled: ScaledDown | undefined;
      let recountAt = clock.now();
      // A verdict that lets the next pod go, read from a watch quiet since the read before: read again by a
      // list, at once, as a replacement Ready and then crashing looks like a stream held back.
      let confirming = false;
      for (;;) {
        // The last read, at the deadline, is a list: a verdict of failure must not rest on a stalled watch.
        const atDeadline = clock.now() >= deadline;
        // A list that fails is asked again at the next poll: one failed read is no verdict on the pods.
        const listNow = atDeadline || confirming;
        confirming = false;
        const listed = await followed.read(listNow).catch((error: unknown) => {
          if (!(error instanceof ToolFailedError)) throw error;
          failure = error.message;
          return null;
        });
        const pods = listed && available(listed);
        // As many Ready as before, and every new pod Ready: the gone pod's replacement must be up even
        // when the gone pod was not Ready (crash-looping) and so not counted before, and a pod the
        // controller added meanwhile (a scale-up) must not stand in for a replacement still starting.
        const added = pods?.filter((p) => !before.uids.has(p.metadata.uid ?? "")) ?? [];
        if (pods) started = livePods(added, controller.uid);
        const fresh = added.filter((p) => readyPodCount([p], controller.uid) === 1);
        const starting = notReadyPods(added, controller.uid);
        const kept = servingPods(pods ?? [], controller.uid).filter((p) => p.metadata.uid !== gone.uid);
        // Fewer pods than before: read how many it should have, now and then, and at the last poll.
        if (pods && kept.length < before.live && (clock.now() >= recountAt || atDeadline)) {
          recountAt = clock.now() + recountEveryMs;
          scaled = (await readCounts()) ? scaledDown(before) : scaled;
        }
        const wanted = Math.min(before.ready, scaled?.desired ?? before.ready);
        const enough = pods ? readyPodCount(pods, controller.uid, gone.uid) >= wanted : false;
        // What the gone pod's replacement runs is judged on its successors alone: a pod a StatefulSet or
        // DaemonSet made for another reason (a scale-up, a node that joined with the old image cached) is no
        // verdict on this restart.
        const successors = fresh.filter((p) => isSuccessor(controller.kind, gone, p));
        const unconfirmed = () => {
          confirming = listed !== null && !followed.fresh;
          return confirming;
        };
        if (successors.length > 0 && starting.length === 0 && enough) {
          if (unconfirmed()) continue;
          return { ready: successors };
        }
        if (pods && scaled && needsNoReplacement(pods, controller, gone, scaled, workload())) {
          if (unconfirmed()) continue;
          // Decided on counts read now: a scale-down undone since the last read must not pass for one, and
          // a rollout begun since shows its new ReplicaSet, whose pods starting count.
          scaled = (await readCounts()) ? scaledDown(before) : undefined;
          if (scaled && needsNoReplacement(pods, controller, gone, scaled, workload())) {
            const now = `${counted(scaled.desired, "pod")}, all Ready`;
            return {
              notReplaced: `${name} was scaled down meanwhile, to ${now}: ${gone.name} needs no replacement`,
            };
          }
        }
        const successorsStarted = () => started.filter((p) => isSuccessor(controller.kind, gone, p));
        if (options.signal.aborted) return { stopped: true, started: successorsStarted() };
        if (atDeadline) {
          const timedOut = (reason: string) => ({ timedOut: reason, started: successorsStarted() });
          if (!pods)
            return timedOut(`${name}'s pods could not be listed within the wait timeout: ${failure}`);
          // What the kubelet says of the new pods' containers (ImagePullBackOff): what one looks up first.
          const saying = waitingNote(added.filter((p) => starting.includes(p.metadata.name)));
          if (!enough) {
            const min = minReadySeconds();
            const ready =
              min > 0
                ? `${counted(wanted, "pod")} Ready for ${min} s (minReadySeconds)`
                : counted(wanted, "ready pod");
            return timedOut(`${name} did not have ${ready} within the wait timeout${saying}`);
          }
          if (starting.length > 0)
            return timedOut(
              `${name}'s new ${starting.length === 1 ? "pod" : "pods"} ${starting.join(", ")} ${minReadySeconds() > 0 ? `not Ready for its minReadySeconds (${minReadySeconds()} s)` : "not Ready"} within the wait timeout${saying}`,
            );
          if (fresh.length === 0) return timedOut(`${name} had no new Ready pod within the wait timeout`);
          return timedOut(`${name} had no Ready successor of ${gone.name} within the wait timeout`);
        }
        await followed.pause(clock, options.pollMs, options.signal);
      }
    },
  };
}

/**
 * Whether a new pod of the controller is the gone pod's successor. A StatefulSet or DaemonSet makes it only
 * once the gone pod is gone, which may take its whole grace period: until then a pod made for another
 * reason (a scale-up, a node that joined) is Ready and new, and must not pass for it. The successor has the
 * gone pod's name (a StatefulSet's) or its node (a DaemonSet's). A ReplicaSet's starts at once, and counts
 * as not Ready until it is up, so any new pod will do.
 */
function isSuccessor(kind: string, gone: GonePod, pod: Pod): boolean {
  if (kind === "StatefulSet") return pod.metadata.name === gone.name;
  if (kind === "DaemonSet" && gone.node !== "") return pod.spec?.nodeName === gone.node;
  return true;
}

/** The label a Deployment adds to each of its ReplicaSets' selectors, with the ReplicaSet's own value. */
const templateHashLabel = "pod-template-hash";

/** The other ReplicaSets of a pod's Deployment, and the selector of all the Deployment's pods. */
interface SiblingReplicaSets {
  selector: string;
  /** `unavailable`: its pods Ready but not yet available, as its status counts them. */
  replicaSets: { name: string; uid: string; desired: number; unavailable: number }[];
}

/**
 * The other ReplicaSets of the pod's Deployment (the new one of a rollout that never came up, say), with the
 * pods each should have, and the selector of all the Deployment's pods (its ReplicaSet's, less the template
 * hash): their pods not Ready, or not made, leave the workload short as much as its own ReplicaSet's do.
 * Null for another controller; a list that fails throws (ToolFailedError).
 */
async function siblingReplicaSets(
  api: RestartApi,
  pod: PlanPod,
  selector: LabelSelector | undefined,
): Promise<SiblingReplicaSets | null> {
  const deployment = pod.owner?.kind === "Deployment" ? pod.owner.name : undefined;
  const own = pod.controller;
  if (!deployment || own?.kind !== "ReplicaSet" || !selector?.matchLabels?.[templateHashLabel]) return null;
  const { [templateHashLabel]: _, ...matchLabels } = selector.matchLabels;
  const all = selectorString({ ...selector, matchLabels });
  if (all === "") return null;
  const replicaSets = await api.listReplicaSets(pod.namespace, all);
  return {
    selector: all,
    replicaSets: (replicaSets as OwnerObject[])
      .filter((rs) => {
        const owner = controllerOf(rs.metadata);
        return owner?.kind === "Deployment" && owner.name === deployment && rs.metadata.uid !== own.uid;
      })
      .flatMap((rs) =>
        rs.metadata.uid
          ? [
              {
                name: rs.metadata.name,
                uid: rs.metadata.uid,
                desired: rs.spec?.replicas ?? 1,
                unavailable: readyNotAvailable(rs as ControllerCounts),
              },
            ]
          : [],
      ),
  };
}

/**
 * Of a controller's pods Ready (and not terminating, which its status no longer counts), those its status
 * says are not yet available but their conditions, read against this clock, say are: the last to turn
 * Ready, up to `unavailable` settling in all.
 */
function settlingByStatus(
  pods: readonly Pod[],
  uid: string,
  unavailable: number,
  minReadySeconds: number,
  now: number,
): Pod[] {
  const settles = (pod: Pod) => (readySince(pod) ?? 0) + minReadySeconds * 1000 > now;
  const newest = pods
    .filter(
      (pod) => isReady(pod) && !pod.metadata.deletionTimestamp && controllerOf(pod.metadata)?.uid === uid,
    )
    .sort((a, b) => (readySince(b) ?? 0) - (readySince(a) ?? 0))
    .slice(0, unavailable);
  return newest.filter(settles).length < unavailable ? newest.filter((pod) => !settles(pod)) : [];
}

/** A controller's selector as `-l` text: a ReplicationController's is a plain map of labels. */
function selectorOf(kind: string, selector: LabelSelector | Record<string, string> | undefined): string {
  if (!selector) return "";
  if (kind === "ReplicationController")
    return selectorString({ matchLabels: selector as Record<string, string> });
  return selectorString(selector as LabelSelector);
}

/** A failed kubectl call read as `value`; anything else is thrown on. */
function unreadAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (!(error instanceof ToolFailedError)) throw error;
    return value;
  };
}

/** A controller's counts once it is deleted: it wants no pod. */
function wantingNone<T extends ControllerCounts>(kind: string, counts: T): T {
  return kind === "DaemonSet"
    ? { ...counts, status: { ...counts.status, desiredNumberScheduled: 0 } }
    : { ...counts, spec: { ...counts.spec, replicas: 0 } };
}
