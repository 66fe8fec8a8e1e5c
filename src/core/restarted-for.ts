/**
 * What a restart was for: each stale container's move, from the digest it ran to the digest its tag named
 * (`app=sha256:OLD>sha256:NEW`). A pod that after such a restart still runs that old digest, while its tag
 * still names that new one, is proof that restarting does not help (its node starts the cached image under
 * IfNotPresent, or a pull is given the old digest): plan holds it, so a workload is restarted once per
 * move of its tag, not on every run. A pod on any other digest is judged afresh (the tag went back, say).
 *
 * Two places keep it. A rollout writes it into the template beside restartedAt, so every pod it makes
 * carries it. An eviction or deletion leaves no trace on the replacement (this tool may not patch pods), so
 * the Warning Event recorded for it carries it instead, which lasts as long as the API server keeps Events;
 * where a record ConfigMap is kept (core/restart-record.ts), it lasts there too.
 *
 * An eviction or deletion whose replacement was not checked (--no-wait, an interrupt) records its pod's
 * moves too, marked unchecked with the time of the restart: nobody saw the replacement, so only a pod made
 * since then counts as one, never a pod that run did not reach (a budget refused it, the run ended first).
 */
import { formatAge } from "../util/age.js";
import { groupBy } from "../util/group-by.js";
import { shortDigest } from "./image-id.js";
import { type ControllerRef, noWarnings, type Plan, type PlanContainer, type PlanPod } from "./plan.js";
import { sharedLabelsSelector } from "./readiness.js";

export const restartedForAnnotation = "kubectl-autoupdate/restarted-for";
/** kubectl rollout restart's annotation, which a rollout of this tool sets too. */
export const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";
/** Beside a rollout's restarted-for in the template: the restartedAt the same patch set. */
export const recordedRestartedAtAnnotation = "kubectl-autoupdate/restarted-at";
/**
 * Beside restarted-for on the Event of a restart whose replacement was not checked: when it was. On the
 * restart's own Event, by the clock of the machine that restarted it; on a hold's Event, by the API server's.
 */
export const uncheckedRestartAtAnnotation = "kubectl-autoupdate/unchecked-restart-at";
/** On a hold's Event: when the restart it holds pods for was first recorded (by the API server's clock). */
export const firstRecordedAtAnnotation = "kubectl-autoupdate/first-recorded-at";
/** The reason of the Event that records a hold again (its unchecked restart time: the API server's clock). */
export const heldEventReason = "ImageUpdateHeld";

/**
 * What a restart for these containers' moves was for (the stale ones with both digests known). A move to
 * an index is named twice: by its digest, and by its images' (latestImages), which an index published
 * again around the same images keeps (new attestations alone give it a new digest).
 */
export function restartedForValue(containers: Iterable<PlanContainer>): string | null {
  const moves = new Set<string>();
  for (const c of containers) {
    for (const target of targetsOf(c)) moves.add(`${c.name}=${c.runningDigest}>${target}`);
  }
  return moves.size === 0 ? null : [...moves].sort().join(",");
}

/** The names a stale container's move goes by: its tag's digest, and for an index its images'. */
function targetsOf(c: PlanContainer): string[] {
  if (c.status !== "stale" || c.runningDigest === null || c.latestDigest === null) return [];
  return c.latestImages === undefined ? [c.latestDigest] : [c.latestDigest, c.latestImages];
}

/**
 * What a rollout of these pods is for: their stale containers' moves, and the moves an earlier rollout
 * recorded (the pods carry its record) that this one does not replace. Kept are the moves to the same new
 * digest (each node caches its own old one: without them, two nodes' digests would have each rollout undo
 * the other's record) and the moves of containers this rollout has none for (not selected by --image, or
 * unknown this run): without them, a sidecar recorded as restarted in vain would be rolled again after
 * every rollout for another container.
 */
export function rolloutRestartedFor(pods: readonly PlanPod[]): string | null {
  const planned = restartedForValue(pods.flatMap((p) => p.containers));
  if (planned === null) return null;
  const moves = movesOf(planned);
  const containerOf = (move: string) => move.slice(0, move.indexOf("="));
  const targets = new Set([...moves].map((move) => move.replace(/=.*>/, "=>")));
  const moved = new Set([...moves].map(containerOf));
  for (const pod of pods) {
    for (const move of pod.restartedBefore ? movesOf(pod.restartedBefore) : []) {
      if (targets.has(move.replace(/=.*>/, "=>")) || !moved.has(containerOf(move))) moves.add(move);
    }
  }
  return [...moves].sort().join(",");
}

/** A remembered restart's moves, `app=sha256:OLD>sha256:NEW` each. */
function movesOf(value: string): Set<string> {
  return new Set(value.split(",").map((move) => move.trim()));
}

/**
 * The stale containers a restart recorded as `moves` moved in vain: each still on the digest it was
 * restarted from, its tag still on the digest it was restarted for. Null unless that holds for every stale
 * container: restarting may help.
 */
function restartedInVain(
  moves: ReadonlySet<string>,
  containers: readonly PlanContainer[],
): PlanContainer[] | null {
  const stale = containers.filter((c) => c.status === "stale");
  const tried = stale.filter((c) =>
    targetsOf(c).some((target) => moves.has(`${c.name}=${c.runningDigest}>${target}`)),
  );
  return tried.length > 0 && tried.length === stale.length ? tried : null;
}

/** `HEAD on the old digest: the node started its cached image (…); left until the tag moves`. */
function heldReason(head: (digest: string) => string, tried: readonly PlanContainer[]): string {
  const first = tried[0]!;
  const names = `container${tried.length > 1 ? "s" : ""} ${tried.map((c) => c.name).join(", ")}`;
  const cause =
    first.pullPolicy === "Always"
      ? ` though pulled (${names})`
      : `: the node started its cached image (imagePullPolicy ${first.pullPolicy} on ${names})`;
  return `${head(shortDigest(first.latestDigest))} on the old digest${cause}; left until the tag moves`;
}

/**
 * The restarted-for a rollout of this tool left in the pod's template, unless the template was restarted
 * since by someone else (`kubectl rollout restart` changes restartedAt only): the pods that made ran what
 * the tag named then, and prove nothing of this tool's restart. A record without its restartedAt still
 * holds: holding is the side that cannot restart forever.
 */
export function templateRestartedFor(annotations: Record<string, string> | undefined): string | undefined {
  const restartedFor = annotations?.[restartedForAnnotation];
  const recordedAt = annotations?.[recordedRestartedAtAnnotation];
  if (restartedFor === undefined || recordedAt === undefined) return restartedFor;
  return annotations?.[restartedAtAnnotation] === recordedAt ? restartedFor : undefined;
}

/** Why a pod a rollout made (its annotation, from the template) is held although stale; null: it is not. */
export function alreadyRestartedFor(
  annotation: string | undefined,
  containers: readonly PlanContainer[],
): string | null {
  if (annotation === undefined) return null;
  const tried = restartedInVain(movesOf(annotation), containers);
  return tried && heldReason((digest) => `already restarted for ${digest} and back`, tried);
}

/**
 * An eviction or deletion whose replacement came back on the old digest, or was not checked, as its Event
 * (or the record ConfigMap) tells it.
 */
export interface RememberedRestart {
  namespace: string;
  /** The controller that recreated the pod (the Event's `regarding`). */
  controller: ControllerRef & { uid: string };
  restartedFor: string;
  /** When it was recorded (or last recorded again), ms. */
  at: number;
  /**
   * A checked one recorded again for pods it held: when it was first recorded, ms (its restart); a restart
   * made again since is a record of its own, without.
   */
  firstAt?: number;
  /** Only when the replacement was not checked: when the pod was restarted, ms, by the API server's clock. */
  uncheckedRestartAt?: number;
}

/**
 * How long before an unchecked restart a pod may have been made and still count as made since: the
 * restart's time is taken once the eviction answered and brought to the API server's clock through its
 * Event (in whole seconds, as a pod's creation is). A pod that restart did not reach was there when its run
 * listed the pods, before the restart: only one made in the minute before that is taken for a replacement.
 */
const clockSlackMs = 60_000;

function madeSince(uncheckedRestartAt: number, createdAt: number | undefined): boolean {
  return createdAt !== undefined && createdAt >= uncheckedRestartAt - clockSlackMs;
}

/**
 * One remembered restart per controller, moves and kind (checked or not): the newest time it was recorded
 * (with when that record says its restart was first recorded), and for an unchecked one the earliest restart
 * (a pod made after any of them was made after the first). Each unchecked eviction has its Event, so a
 * controller's many pods would otherwise each bring one.
 */
export function mergeRemembered(remembered: readonly RememberedRestart[]): RememberedRestart[] {
  const merged = new Map<string, RememberedRestart>();
  for (const restart of remembered) {
    const { namespace, controller, restartedFor, uncheckedRestartAt } = restart;
    const key = `${namespace}/${controller.uid} ${restartedFor} ${uncheckedRestartAt === undefined}`;
    const kept = merged.get(key);
    const newer = !kept || restart.at >= kept.at ? restart : kept;
    if (kept?.uncheckedRestartAt === undefined || uncheckedRestartAt === undefined) {
      merged.set(key, newer);
    } else {
      merged.set(key, {
        ...newer,
        uncheckedRestartAt: Math.min(kept.uncheckedRestartAt, uncheckedRestartAt),
      });
    }
  }
  return [...merged.values()];
}

interface Memory {
  memory: RememberedRestart;
  moves: ReadonlySet<string>;
}

/**
 * The remembered restarts of the controller of a pod to be restarted (none for any other pod): the checked
 * ones first, newest first; each remembered restart's moves read once, a controller's pods are many. A pod to
 * be rolled out is held by them too: its controller's pods came back on the old digest after an eviction
 * (`auto` chose to evict then, its budgets since let it roll), and a rollout starts the same cached images.
 */
function memoriesOf(remembered: readonly RememberedRestart[]): (pod: PlanPod) => Memory[] {
  const ordered = mergeRemembered(remembered).sort(
    (a, b) =>
      Number(a.uncheckedRestartAt !== undefined) - Number(b.uncheckedRestartAt !== undefined) || b.at - a.at,
  );
  const byController = groupBy(
    ordered.map((memory) => ({ memory, moves: movesOf(memory.restartedFor) })),
    ({ memory }) => `${memory.namespace}/${memory.controller.uid}`,
  );
  return (pod) => {
    if (pod.action !== "delete") return [];
    return byController.get(`${pod.namespace}/${pod.controller?.uid ?? ""}`) ?? [];
  };
}

/** Pods in one namespace whose labels are all these (`k=v,…`; none: every pod there). */
export interface PodQuery {
  namespace: string;
  selector: string;
}

/**
 * Where to read the creation times that decide whether an unchecked restart leaves a pod: the pods whose
 * stale containers only such a restart covers, one query per controller, by the labels its pods share
 * (a controller's selector matches its pods' labels, so they find those pods and few others).
 */
export function creationTimeQueries(plan: Plan, remembered: readonly RememberedRestart[]): PodQuery[] {
  const memories = memoriesOf(remembered);
  const toDate = plan.pods.filter((pod) => {
    const covering = memories(pod).filter(({ moves }) => restartedInVain(moves, pod.containers));
    return covering.length > 0 && covering.every(({ memory }) => memory.uncheckedRestartAt !== undefined);
  });
  const queries = new Map<string, PodQuery>();
  for (const pods of groupBy(toDate, (pod) => `${pod.namespace}/${pod.controller!.uid}`).values()) {
    const { namespace } = pods[0]!;
    const selector = sharedLabelsSelector(pods);
    queries.set(`${namespace} ${selector}`, { namespace, selector });
  }
  // Many controllers in one namespace take one list of its pods instead: a kubectl process each would make
  // the cost grow with the controllers rather than the pages.
  return [...groupBy(queries.values(), (query) => query.namespace).entries()].flatMap(([namespace, each]) =>
    each.length > controllerQueriesPerNamespace ? [{ namespace, selector: "" }] : each,
  );
}

/** Above this many controllers needing creation times in one namespace, its pods are listed once. */
const controllerQueriesPerNamespace = 4;

/**
 * Holds the pods to be evicted or deleted whose controller had a pod restarted in vain for the digests
 * they lack (see the top of this file) — after an unchecked restart, only those made since (`createdAt`,
 * ms by pod UID); each held pod keeps the remembered restart, for apply to record again before the API
 * server lets the Event expire.
 */
export function holdRestartedInVain(
  plan: Plan,
  remembered: readonly RememberedRestart[],
  now: number,
  createdAt: ReadonlyMap<string, number> = new Map(),
): Plan {
  const memories = memoriesOf(remembered);
  const proven = provenInVain(plan, memories, createdAt);
  // One checked record per proven restart, shared by the pods it holds: each record is recorded again once.
  const checkedRecords = new Map<RememberedRestart, RememberedRestart>();
  const checkedRecord = (memory: RememberedRestart) => {
    let checked = checkedRecords.get(memory);
    if (!checked) {
      const { uncheckedRestartAt, ...rest } = memory;
      checked = { ...rest, firstAt: memory.firstAt ?? uncheckedRestartAt };
      checkedRecords.set(memory, checked);
    }
    return checked;
  };
  return {
    ...plan,
    pods: plan.pods.map((pod) => {
      for (const { memory, moves } of memories(pod)) {
        const tried = restartedInVain(moves, pod.containers);
        if (!tried) continue;
        const { kind, name } = memory.controller;
        const unchecked = memory.uncheckedRestartAt;
        const madeSinceIt = unchecked !== undefined && madeSince(unchecked, createdAt.get(pod.uid));
        if (unchecked !== undefined && !madeSinceIt && !proven.has(memory)) continue;
        const age = formatAge(now - (unchecked ?? memory.firstAt ?? memory.at));
        const how =
          unchecked === undefined
            ? ", which came back"
            : madeSinceIt
              ? " without checking its replacement, and this pod, made since, came back"
              : " without checking its replacement, and a pod made since came back";
        const head = (digest: string) => `${kind}/${name} restarted a pod for ${digest} ${age} ago${how}`;
        const { restart: _, ...rest } = pod;
        return {
          ...rest,
          action: "skip",
          reason: heldReason(head, tried),
          warnings: noWarnings,
          // Proven in vain, it is recorded again as checked: the next runs hold every pod it covers.
          heldBy: proven.has(memory) ? checkedRecord(memory) : memory,
        };
      }
      return pod;
    }),
  };
}

/**
 * The unchecked restarts a pod made since proves in vain: it runs what the restart was for. Such a restart
 * then holds the controller's other pods it covers too, as a checked one does; left to hold only the pods
 * made since, it would have another pod restarted in vain at every run.
 */
function provenInVain(
  plan: Plan,
  memories: (pod: PlanPod) => Memory[],
  createdAt: ReadonlyMap<string, number>,
): Set<RememberedRestart> {
  const proven = new Set<RememberedRestart>();
  for (const pod of plan.pods) {
    for (const { memory, moves } of memories(pod)) {
      const unchecked = memory.uncheckedRestartAt;
      if (unchecked === undefined || proven.has(memory)) continue;
      if (restartedInVain(moves, pod.containers) && madeSince(unchecked, createdAt.get(pod.uid))) {
        proven.add(memory);
      }
    }
  }
  return proven;
}

/**
 * How old a remembered restart may get before a run that holds pods for it records it again. The API
 * server keeps Events for --event-ttl (1 h by default): a CronJob running more often than that keeps the
 * remembered restart alive, at three Events an hour at most.
 */
const recordAgainAfterMs = 20 * 60 * 1000;
/**
 * A record's time is the API server's, the run's `now` its own: a record that many minutes ahead of the run
 * says its clock is behind, by how much is not known, so it is recorded again (at each run, until the
 * clocks agree) rather than perhaps only after the server dropped it.
 */
const clockBehindMs = 5 * 60 * 1000;

/** The remembered restarts to record again, each with the pods held for it. */
export function holdsToRecordAgain(plan: Plan, now: number): { hold: RememberedRestart; pods: PlanPod[] }[] {
  const due = plan.pods.filter(
    (pod) => pod.heldBy && (now - pod.heldBy.at >= recordAgainAfterMs || pod.heldBy.at - now > clockBehindMs),
  );
  return [...groupBy(due, (pod) => pod.heldBy!)].map(([hold, pods]) => ({ hold, pods }));
}
