/**
 * The checks after every restart, whatever the strategy: the controller has as many Ready pods again as
 * before (or, scaled down meanwhile, as it should have now) and the replacement is one of them, and no
 * replacement runs the old digest again, Ready or not (a node's cached image under IfNotPresent) — the last
 * (or only) pod's replacement included.
 */

import type { Pod } from "../../core/k8s.js";
import { type PlanContainer, type PlanPod, topOwnerKey } from "../../core/plan.js";
import {
  backOnOldDigest,
  containersBackOnOldDigest,
  containersOnOtherDigests,
  containersOnUnnamedImages,
  hasEnded,
  rolledPodProblem,
  staleContainersOf,
  unnamedImageText,
} from "../../core/readiness.js";
import type { CompletedRestart } from "../../core/restart-outcomes.js";
import { restartedForValue } from "../../core/restarted-for.js";
import type { Readiness, Snapshot } from "./controller-readiness.js";
import {
  type GroupReporter,
  type Left,
  leftByStop,
  type RestartOptions,
  stopReason,
} from "./restart-options.js";

/**
 * What went wrong with a replacement; `inVain`: the containers it runs on their old digest again.
 * `stopped`: nothing went wrong, the run stopped before the replacement was up, so it is not checked.
 */
interface Problem {
  reason: string;
  inVain: PlanContainer[];
  stopped?: true;
}

/**
 * The replacement is Ready, on none of the old digests. `elsewhere`: its stale containers that run a digest
 * the plan did not name either, each with that digest as the one it runs: a node's cached image older
 * still (IfNotPresent), or another name of the new one (a platform's manifest, another repository digest).
 * Only a plan can tell which: the next run judges it by what the restart records.
 */
interface Up {
  elsewhere: PlanContainer[];
}

/** No replacement came, nor was one needed: the controller was scaled down meanwhile. Nothing to check. */
interface NotReplaced {
  notReplaced: string;
}

/**
 * Up when the evicted or deleted pod's replacement is Ready on a new digest; else what went wrong, or
 * (`stopped`) that the run stopped before it could be checked. `planned`: the pods restarted with it, whose
 * old digests its replacement may come back on too (a node's cached image, which another was found running).
 */
async function replacementProblem(
  readiness: Readiness,
  before: Snapshot,
  pod: PlanPod,
  planned: readonly PlanPod[],
  options: RestartOptions,
): Promise<Problem | Up | NotReplaced> {
  const waited = await readiness.waitFor(before, pod, options);
  if ("notReplaced" in waited) return waited;
  const stale = oldDigestsFor(pod, planned, options);
  if ("ready" in waited) {
    const back = backOnOldDigestAmong(pod, stale, waited.ready);
    if (back) return back;
    const unnamed = waited.ready.flatMap((ready) => containersOnUnnamedImages(pod.containers, ready));
    if (unnamed.length > 0) {
      const which = unnamed.map(unnamedImageText).join(", ");
      const reason = `the replacement of ${pod.name} runs an image its runtime names by no digest (${which}): not proven on the new digest`;
      // Recorded as one back on the old digest is: the next runs would move each of the controller's pods onto
      // that image, none of them proven by it.
      return { reason, inVain: unnamed.map((u) => u.container) };
    }
    return { elsewhere: waited.ready.flatMap((ready) => containersOnOtherDigests(pod.containers, ready)) };
  }
  // A new pod on the old digest proves the restart in vain, Ready or not, and whether the run goes on or not:
  // left unrecorded, a slow start would have every run restart another pod of the controller.
  const back = backOnOldDigestAmong(pod, stale, waited.started);
  if ("stopped" in waited) {
    const reason = stopReason(options.signal);
    return back ? { ...back, reason: `${back.reason} (${reason})` } : { reason, inVain: [], stopped: true };
  }
  const { timedOut } = waited;
  return back ? { ...back, reason: `${back.reason}, and ${timedOut}` } : { reason: timedOut, inVain: [] };
}

/**
 * The stale containers a replacement of `pod` may come back on: its own, and those of the other pods planned
 * with it (its workload's, under another ReplicaSet too) or left by the plan in its workload (held, opted
 * out) that run the same image under the same name.
 */
function oldDigestsFor(pod: PlanPod, planned: readonly PlanPod[], options: RestartOptions): PlanContainer[] {
  const runs = new Set(pod.containers.map(nameAndImage));
  const others = withStaleLeft(
    planned.filter((p) => p !== pod),
    pod,
    options,
  );
  return staleContainersOf([pod, ...others]).filter((c) => runs.has(nameAndImage(c)));
}

/** A container's name and the reference it names, however written (`nginx` is `docker.io/library/nginx`). */
function nameAndImage(c: PlanContainer): string {
  return `${c.name}\n${c.ref ?? c.image}`;
}

/**
 * `pods`, and the pods the plan left in `pod`'s workload on a stale digest, each with only its containers
 * that run an image (a reference) one of `pod` and `pods` runs under the same name: another image's digest
 * (an older ReplicaSet's, a mirror's of the same tag) says nothing of what the restarted pods come back on.
 */
export function withStaleLeft(
  pods: readonly PlanPod[],
  pod: PlanPod,
  options: Pick<RestartOptions, "staleLeft">,
): readonly PlanPod[] {
  const key = topOwnerKey(pod);
  const left = key === null ? undefined : options.staleLeft?.get(key);
  if (!left) return pods;
  const runs = new Set([pod, ...pods].flatMap((p) => p.containers.map(nameAndImage)));
  const sameImages = left.map((p) => ({
    ...p,
    containers: p.containers.filter((c) => runs.has(nameAndImage(c))),
  }));
  return [...pods, ...sameImages];
}

/**
 * The first of the controller's new pods that runs a digest one of `stale` was stale on (`pod`'s own, or a
 * sibling's), as a problem; else null.
 */
function backOnOldDigestAmong(
  pod: PlanPod,
  stale: readonly PlanContainer[],
  replacements: readonly Pod[],
): Problem | null {
  for (const replacement of replacements) {
    const container = backOnOldDigest(stale, replacement);
    if (container === null) continue;
    // What it came back on in its other containers too (a node's other cached image): a restart for those
    // moves would bring the same again.
    return {
      reason: `the replacement of ${pod.name} runs the old digest again (${container})`,
      inVain: [
        ...containersBackOnOldDigest(stale, replacement),
        ...containersOnOtherDigests(pod.containers, replacement),
      ],
    };
  }
  return null;
}

/**
 * After a pod was evicted or deleted: waits for its replacement (unless not waiting), reports the restart,
 * and says why the controller's next pods are to be left (null: go on). A replacement that did not come
 * up as planned is a problem, reported on its pod, and stops the next pods; so does one that could not be
 * waited for, which is no problem after the last pod.
 */
export async function checkReplacement(
  strategy: "evict" | "delete",
  pod: PlanPod,
  planned: readonly PlanPod[],
  waiting: { readiness: Readiness | null; before: Snapshot | null } | null,
  last: boolean,
  reporter: GroupReporter,
): Promise<Left | null> {
  const { options } = reporter;
  const restartedAt = options.clock.now();
  const { readiness, before } = waiting ?? { readiness: null, before: null };
  const problem =
    readiness && before ? await replacementProblem(readiness, before, pod, planned, options) : undefined;
  reporter.restarted(podRestart(strategy, pod, problem, restartedAt, options));
  if ((problem && ("elsewhere" in problem || "notReplaced" in problem)) || waiting === null) return null;
  if (problem === undefined) {
    // Not counted, so not waited for: going on could stop the controller's pods faster than they return.
    return last
      ? null
      : {
          reason: `the replacement of ${pod.name} could not be waited for: its controller's pods could not be counted`,
        };
  }
  if (!problem.stopped) reporter.reportProblem({ pod, reason: problem.reason });
  if (last) return null;
  return problem.stopped ? leftByStop(options.signal) : { reason: problem.reason };
}

/**
 * What an evicted or deleted pod's restart was, on the controller that recreates it: `problem` is
 * replacementProblem's answer, or undefined when the replacement was not waited for. A replacement back on
 * the old digest names what the restart was for: its Event keeps the next runs from trying again. So does
 * one not checked, with the pod's moves and when it went: the next runs tell its replacement by that. A
 * replacement that was not up in time and not seen on the old digest (its image still pulling) is one not
 * checked too: it may yet come up on the old digest, after the run.
 */
function podRestart(
  strategy: "evict" | "delete",
  pod: PlanPod,
  problem: Problem | Up | NotReplaced | undefined,
  restartedAt: number,
  options: RestartOptions,
): CompletedRestart {
  if (problem && "elsewhere" in problem) {
    // What it came back on, for the next runs: restarting again for the same move would bring the same.
    const cameBackOn = restartedForValue(problem.elsewhere);
    return {
      ...podRestartOf(strategy, pod),
      replacement: { kind: "up", ...(cameBackOn ? { restartedFor: cameBackOn } : {}) },
    };
  }
  // Only the containers that came back: a sibling stale on another one may still be helped by a restart.
  const restartedFor = problem && "inVain" in problem ? restartedForValue(problem.inVain) : null;
  const moves = restartedForValue(pod.containers);
  const madeSince = moves ? { restartedFor: moves, restartedAt } : {};
  const unchecked = (why: string): CompletedRestart["replacement"] => ({
    kind: "unchecked",
    why,
    ...madeSince,
  });
  const replacement: CompletedRestart["replacement"] =
    problem === undefined
      ? unchecked(options.wait ? "its controller's pods could not be counted" : "--no-wait")
      : "notReplaced" in problem
        ? unchecked(problem.notReplaced)
        : problem.stopped
          ? unchecked(problem.reason)
          : { kind: "problem", reason: problem.reason, ...(restartedFor ? { restartedFor } : madeSince) };
  return { ...podRestartOf(strategy, pod), replacement };
}

function podRestartOf(strategy: "evict" | "delete", pod: PlanPod): Omit<CompletedRestart, "replacement"> {
  return {
    strategy,
    namespace: pod.namespace,
    regarding: pod.controller ?? pod.restart!.controller,
    pod,
    pods: [pod],
  };
}

/**
 * After a rollout: the first of the workload's pods (not terminating, not ended) that still runs a digest
 * one of the planned pods was stale on, or runs one of their stale containers on an image named by no
 * digest, as a reason; null when none does. A pod that ended (one its kubelet evicted) stays until the pod
 * garbage collector removes it: it is no replacement. A container the plan saw on such an image in the
 * workload (`unnamedSeen`, a node's imported image) is no verdict: a rollout replaces those pods too, and
 * which new pod replaced which is not known.
 */
export function oldDigestAfterRollout(
  planned: readonly PlanPod[],
  pods: readonly Pod[],
  unnamedSeen: ReadonlySet<string> = new Set(),
): string | null {
  const stale = staleContainersOf(planned);
  const unseen = stale.filter((c) => !unnamedSeen.has(c.name));
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp || hasEnded(pod)) continue;
    const problem = rolledPodProblem(stale, unseen, pod);
    if (problem === null) continue;
    const { name } = pod.metadata;
    return "back" in problem
      ? `pod ${name} runs the old digest (${problem.back})`
      : `pod ${name} runs an image its runtime names by no digest (${problem.unnamed.join(", ")}): not proven on the new digest`;
  }
  return null;
}
