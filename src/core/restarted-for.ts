/**
 * What a restart was for: each stale container's move, from the digest it ran to the digest its tag named
 * (`app=sha256:OLD>sha256:NEW`). A pod that after such a restart still runs that old digest, while its tag
 * still names that new one, is proof that restarting does not help (its node starts the cached image under
 * IfNotPresent, or a pull is given the old digest): plan leaves it, so a workload is restarted once per
 * move of its tag, not on every run. A pod on any other digest is judged afresh (the tag went back, say).
 *
 * Two records say it. A rollout writes it into the template beside restartedAt, so every pod it makes
 * carries it. An eviction or deletion leaves no trace on the replacement (this tool may not patch pods), so
 * the Warning Event recorded for it carries it instead, which lasts as long as the API server keeps Events;
 * where a record ConfigMap is kept (core/restart-record.ts), it lasts there too.
 */
import { formatAge } from "../util/age.js";
import { groupBy } from "../util/group-by.js";
import { shortDigest } from "./image-id.js";
import { noWarnings, type Owner, type Plan, type PlanContainer, type PlanPod } from "./plan.js";

export const restartedForAnnotation = "kubectl-autoupdate/restarted-for";

/** The record of a restart for these containers' moves (the stale ones with both digests known). */
export function restartedForValue(containers: Iterable<PlanContainer>): string | null {
  const moves = new Set<string>();
  for (const c of containers) {
    if (c.status === "stale" && c.runningDigest !== null && c.latestDigest !== null) {
      moves.add(`${c.name}=${c.runningDigest}>${c.latestDigest}`);
    }
  }
  return moves.size === 0 ? null : [...moves].sort().join(",");
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

/** A record's moves, `app=sha256:OLD>sha256:NEW` each. */
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
  const tried = stale.filter((c) => moves.has(`${c.name}=${c.runningDigest}>${c.latestDigest}`));
  return tried.length > 0 && tried.length === stale.length ? tried : null;
}

/** `HEAD on the old digest: the node started its cached image (…); left until the tag moves`. */
function leftReason(head: (digest: string) => string, tried: readonly PlanContainer[]): string {
  const first = tried[0]!;
  const names = `container${tried.length > 1 ? "s" : ""} ${tried.map((c) => c.name).join(", ")}`;
  const cause =
    first.pullPolicy === "Always"
      ? ` though pulled (${names})`
      : `: the node started its cached image (imagePullPolicy ${first.pullPolicy} on ${names})`;
  return `${head(shortDigest(first.latestDigest))} on the old digest${cause}; left until the tag moves`;
}

/** Why a pod a rollout made (its annotation, from the template) is left although stale; null: it is not. */
export function alreadyRestartedFor(
  annotation: string | undefined,
  containers: readonly PlanContainer[],
): string | null {
  if (annotation === undefined) return null;
  const tried = restartedInVain(movesOf(annotation), containers);
  return tried && leftReason((digest) => `already restarted for ${digest} and back`, tried);
}

/** An eviction or deletion whose replacement came back on the old digest, as its Event tells it. */
export interface RememberedRestart {
  namespace: string;
  /** The controller that recreated the pod (the Event's `regarding`). */
  controller: Owner & { uid: string };
  restartedFor: string;
  /** When it was recorded (or last recorded again), ms. */
  at: number;
}

/**
 * Leaves the pods to be evicted or deleted whose controller had a pod restarted in vain for the digests
 * they lack (see the top of this file); each left pod keeps the remembered restart, for apply to record
 * again before the API server lets the Event expire.
 */
export function leaveRestartedInVain(
  plan: Plan,
  remembered: readonly RememberedRestart[],
  now: number,
): Plan {
  // Newest first, each record's moves read once: a controller's pods are many.
  const newestFirst = [...remembered].sort((a, b) => b.at - a.at);
  const byController = groupBy(
    newestFirst.map((memory) => ({ memory, moves: movesOf(memory.restartedFor) })),
    ({ memory }) => `${memory.namespace}/${memory.controller.uid}`,
  );
  return {
    ...plan,
    pods: plan.pods.map((pod) => {
      const strategy = pod.restart?.strategy;
      if (pod.action !== "delete" || (strategy !== "evict" && strategy !== "delete")) return pod;
      const memories = byController.get(`${pod.namespace}/${pod.controller?.uid ?? ""}`) ?? [];
      for (const { memory, moves } of memories) {
        const tried = restartedInVain(moves, pod.containers);
        if (!tried) continue;
        const { kind, name } = memory.controller;
        const age = formatAge(now - memory.at);
        const head = (digest: string) =>
          `${kind}/${name} restarted a pod for ${digest} ${age} ago, which came back`;
        const { restart: _, ...rest } = pod;
        return {
          ...rest,
          action: "skip",
          reason: leftReason(head, tried),
          warnings: noWarnings,
          left: memory,
        };
      }
      return pod;
    }),
  };
}

/**
 * How old a remembered restart may get before a run that leaves pods for it records it again. The API
 * server keeps Events for --event-ttl (1 h by default): a CronJob running more often than that keeps the
 * record alive, at three Events an hour at most.
 */
const recordAgainAfterMs = 20 * 60 * 1000;

/** The remembered restarts to record again, each with the pods left for it. */
export function leftToRecordAgain(plan: Plan, now: number): { left: RememberedRestart; pods: PlanPod[] }[] {
  const due = plan.pods.filter((pod) => pod.left && now - pod.left.at >= recordAgainAfterMs);
  return [...groupBy(due, (pod) => pod.left!)].map(([left, pods]) => ({ left, pods }));
}
