/**
 * The rollout strategy: once per controller, however many of its pods are stale, the template's
 * restartedAt annotation is set (as `kubectl rollout restart` does) and the controller replaces its pods
 * with its own surge and pacing. The rollout is then followed as `kubectl rollout status` follows it, up to
 * --wait-timeout, and its pods checked for the old digest. Interrupted after the patch, the rollout goes on
 * on the server and is reported so.
 */

import { ClusterAccessError } from "../../adapters/kubectl-errors.js";
import { isOptedOut, type Pod } from "../../core/k8s.js";
import { type PlanPod, topOwnerKey } from "../../core/plan.js";
import {
  isReady,
  isStaying,
  type PodWithConditions,
  selectorString,
  sharedLabelsSelector,
  waitingNote,
} from "../../core/readiness.js";
import type { CompletedRestart, PodOutcome, RolloutOutcome } from "../../core/restart-outcomes.js";
import { decideRestart } from "../../core/restart-strategy.js";
import { rolloutRestartedFor } from "../../core/restarted-for.js";
import { belowPartition, rolloutPace, rolloutSurges, rolloutTakesDown } from "../../core/rolling-update.js";
import {
  currentSincePlan,
  digestChangedSincePlan,
  goingSincePlan,
  leftSincePlan,
  restartedOnto,
} from "../../core/since-plan.js";
import {
  ownedPods,
  rolloutStatus,
  type Workload,
  type WorkloadKind,
  workloadName,
} from "../../core/workload.js";
import { ToolFailedError } from "../../errors.js";
import { firstFew } from "../../util/first-few.js";
import { isoSeconds } from "../../util/iso-seconds.js";
import type { Allowance, BudgetGate } from "./budget-gate.js";
import { oldDigestAfterRollout, withStaleLeft } from "./replacement.js";
import { type GroupReporter, type RestartApi, stopReason } from "./restart-options.js";

export async function rollOut(
  api: RestartApi,
  group: readonly PlanPod[],
  budgets: BudgetGate,
  reporter: GroupReporter,
): Promise<void> {
  const first = group[0]!;
  const controller = first.restart!.controller;
  const read: WorkloadRead = {};
  const outcome = await rollOutWorkload(api, group, controller.kind as WorkloadKind, budgets, reporter, read);
  for (const pod of group) {
    const own = read.own?.get(pod.uid);
    reporter.report(
      pod,
      own ?? podOutcomeOf(outcome, pod, reporter.options.dryRun),
      // Left for a reason of its own, or gone with the workload's scaling down: nothing else says so.
      own?.kind === "not-started" || (own?.kind === "gone" && own.reason !== undefined),
    );
  }
  // Patched, then gone wrong: the pods were replaced, not as planned.
  if (outcome.kind === "failed" && outcome.patched) {
    reporter.reportProblem({ pod: first, reason: outcome.reason });
  }
  const replacement = replacementOf(outcome, reporter.options.signal);
  if (replacement) {
    reporter.restarted({
      strategy: "rollout",
      namespace: first.namespace,
      regarding: { ...controller, uid: read.uid },
      pods: group,
      replacement,
    });
  }
  reporter.reportRollout({ namespace: first.namespace, controller, pods: group, outcome });
}

/** How a patched workload's pods came up; null when nothing was patched. */
function replacementOf(outcome: RolloutOutcome, signal: AbortSignal): CompletedRestart["replacement"] | null {
  switch (outcome.kind) {
    case "rolled-out":
      return outcome.unchecked ? { kind: "unchecked", why: outcome.unchecked } : { kind: "up" };
    case "started":
      return { kind: "unchecked", why: "--no-wait" };
    case "in-progress":
      return { kind: "unchecked", why: `${stopReason(signal)} while the rollout was in progress` };
    case "not-started":
    case "replaced":
      return null;
    case "failed":
      return outcome.patched ? { kind: "problem", reason: outcome.reason } : null;
  }
}

/** What became of each planned pod of a rolled workload. */
function podOutcomeOf(outcome: RolloutOutcome, pod: PlanPod, dryRun: boolean): PodOutcome {
  switch (outcome.kind) {
    case "rolled-out":
      return { kind: "rolled" };
    case "started":
      // Not followed (--no-wait): the controller replaces the pods after this run has ended.
      return dryRun ? { kind: "rolled" } : { kind: "in-progress" };
    case "in-progress":
      return { kind: "in-progress" };
    case "not-started":
      return { kind: "not-started", reason: outcome.reason };
    case "replaced":
      // As an eviction's 404 and 409 say it: no failure, the pod is no longer there to restart.
      return outcome.gone.includes(pod.name) ? { kind: "gone" } : { kind: "replaced" };
    case "failed":
      // Paused: those not replaced yet stay until someone resumes it (afterPatch tells them apart).
      if (outcome.paused) return { kind: "failed", reason: outcome.reason };
      // Stopped short (deadline, timeout): the old pods still run, and the controller goes on rolling.
      if (outcome.ongoing) return { kind: "in-progress" };
      return outcome.patched ? { kind: "rolled" } : { kind: "failed", reason: outcome.reason };
  }
}

/** What reading the workload again before its rollout found. */
interface WorkloadRead {
  /** Its UID, which an Event on it names. */
  uid?: string;
  /**
   * What became of the planned pods whose outcome is their own, not the rollout's, by UID: gone, or their
   * name runs a new pod; left by a change of their own; still there after the rollout, not replaced.
   */
  own?: ReadonlyMap<string, PodOutcome>;
  /** What its budgets let the rollout take down (auto), held until it is followed to its end. */
  allowance?: Allowance;
  /** How many disruptions that allowance is for, and how many pods of surge it holds beside them. */
  drawn?: number;
  surged?: number;
}

async function rollOutWorkload(
  api: RestartApi,
  group: readonly PlanPod[],
  kind: WorkloadKind,
  budgets: BudgetGate,
  reporter: GroupReporter,
  read: WorkloadRead,
): Promise<RolloutOutcome> {
  let outcome: RolloutOutcome | undefined;
  try {
    outcome = await patchAndFollow(api, group, kind, budgets, reporter, read);
    return outcome;
  } finally {
    // Still going on the server (--no-wait, the wait over, a stop): nothing sees its pods come back, so
    // what it drew stays drawn for the run.
    if (!stillRolling(outcome)) read.allowance?.release();
  }
}

function stillRolling(outcome: RolloutOutcome | undefined): boolean {
  if (outcome?.kind === "started" || outcome?.kind === "in-progress") return true;
  return (
    outcome?.kind === "failed" &&
    ((outcome.patched && outcome.ongoing === true) || outcome.perhapsPatched === true)
  );
}

async function patchAndFollow(
  api: RestartApi,
  group: readonly PlanPod[],
  kind: WorkloadKind,
  budgets: BudgetGate,
  { options }: GroupReporter,
  read: WorkloadRead,
): Promise<RolloutOutcome> {
  const target = group[0]!.restart!.controller;
  const name = `${target.kind}/${target.name}`;
  // Any write to the workload between its read and the patch is a Conflict, its status's too (a pod of a
  // large DaemonSet turning Ready, a node joining), while its pods are listed in between: read it again and
  // decide again, a few times, as client-go's RetryOnConflict does. A change the plan did not show is still
  // found by the decision.
  for (let attempt = 1; ; attempt++) {
    const patched = await readAndPatch(api, group, kind, budgets, options, read);
    // Once, after waiting for its budgets: no attempt spent.
    if (patched.kind === "read-again") {
      attempt--;
      continue;
    }
    if (patched.kind === "conflict") {
      if (attempt < patchAttempts) continue;
      return {
        kind: "failed",
        reason: `${name} changed while being patched: ${patched.reason}`,
        patched: false,
      };
    }
    if (patched.kind !== "patched") return patched;
    return afterPatch(api, group, kind, options, read, patched.current, patched.generation);
  }
}

/** Reads of the workload, and patches, before a Conflict fails its rollout. */
const patchAttempts = 3;

/**
 * Reads the workload and its pods again, decides again and patches it: its rollout's outcome when it ends
 * here, a Conflict to read it again, or what was patched.
 */
async function readAndPatch(
  api: RestartApi,
  group: readonly PlanPod[],
  kind: WorkloadKind,
  budgets: BudgetGate,
  options: GroupReporter["options"],
  read: WorkloadRead,
): Promise<
  | RolloutOutcome
  | { kind: "conflict"; reason: string }
  | { kind: "read-again" }
  | { kind: "patched"; current: Workload; generation: number }
> {
  const { clock, signal } = options;
  const namespace = group[0]!.namespace;
  const target = group[0]!.restart!.controller;
  const name = `${target.kind}/${target.name}`;
  if (signal.aborted) return { kind: "not-started", reason: stopReason(signal) };

  // Read again right before patching: paused, mid-rollout or changed since the plan means no rollout now.
  const current = await api.getWorkload(kind, namespace, target.name);
  if (!current) return withoutWorkload(api, group, `${name} was not found`, read);
  read.uid = current.metadata.uid;
  // The pods it owns now, which the rollout would replace: all of them, beyond the plan's selection.
  const live = await podsOf(api, namespace, current);
  if (live) {
    // A planned pod going or ended since (a drain, its kubelet's eviction) is gone: its controller
    // replaces it.
    const staying = live.filter(isStaying);
    const missing = await stillThere(api, missingSincePlan(group, staying), group);
    read.own = missing;
    // Every planned pod still there runs the new digest already (it pulled the tag again), or one the plan
    // never saw (the tag moved again since): none is proven stale.
    const byUid = new Map(live.map((pod) => [pod.metadata.uid, pod]));
    const there = group.filter((pod) => !missing.has(pod.uid));
    const movedOn: PlanPod[] = [];
    const noneStale = there.every((pod) => {
      const now = byUid.get(pod.uid) ?? null;
      if (currentSincePlan(pod, now)) return true;
      if (digestChangedSincePlan(pod, now) === null) return false;
      movedOn.push(pod);
      return true;
    });
    if (noneStale) {
      if (movedOn.length > 0) return movedOnSincePlan(group, movedOn);
      for (const pod of there) missing.set(pod.uid, { kind: "replaced", reason: restartedOnto });
      return replacedSincePlan(group, missing);
    }
  }
  // `terminatingPods`: as the list just made says, for the workload as read with it; none for one read later.
  const decideOn = (workload: Workload, terminatingPods?: number) =>
    decideRestart(options.strategy, target, {
      workload,
      pods: group.map((p) => p.name),
      optedOut: (live ?? [])
        // As the plan counts them: not one going, nor one that ended (replaced already).
        .filter((p) => isOptedOut(p.metadata) && isStaying(p))
        .map((p) => p.metadata.name),
      ...(terminatingPods !== undefined ? { terminatingPods } : {}),
    });
  const decision = decideOn(current, live?.filter((p) => p.metadata.deletionTimestamp).length);
  if (decision.kind === "skip") return { kind: "not-started", reason: decision.reason };
  // The pace the plan printed (maxSurge, maxUnavailable, a partition) must still hold; the pods and nodes
  // it counts may have changed with an autoscaler meanwhile.
  const planned = group[0]!.restart!.pace;
  if (decision.strategy !== "rollout") {
    // Evicting instead would be a restart the plan did not print: left for the next run's plan to show.
    const why = decision.noRollout ?? decision.reason;
    return { kind: "not-started", reason: `changed since the plan: ${why}; left for the next run` };
  }
  if (planned !== undefined && planned !== rolloutPace(current)) {
    return { kind: "not-started", reason: `changed since the plan: ${decision.reason}` };
  }
  // Under --strategy rollout a workload that became Recreate (or managed by GitOps…) still rolls, with a
  // warning: one the plan did not print means a rollout the user was not shown. Its counts (replicas,
  // nodes) may have changed with an autoscaler meanwhile; what it warns of may not.
  const shown = new Set(group[0]!.warnings.map(withoutCounts));
  const unshown = decision.warnings.filter((warning) => !shown.has(withoutCounts(warning)));
  if (unshown.length > 0) {
    return { kind: "not-started", reason: `changed since the plan: ${unshown.join("; ")}` };
  }
  // The API server's budgets do not govern a rollout: under auto, which promises them, its budgets must
  // allow as many disruptions as it takes pods out of service at once, counting rollouts running beside it.
  const budgeted = (workload: Workload) =>
    options.strategy === "auto" ? [rolloutTakesDown(workload), rolloutSurges(workload)] : [0, 0];
  const [takesDown = 0, surges = 0] = budgeted(current);
  // Drawn before a wait for fewer than it takes now (scaled up, its maxUnavailable raised): asked again.
  if (read.allowance && (takesDown > (read.drawn ?? 0) || surges > (read.surged ?? 0))) {
    read.allowance.release();
    read.allowance = undefined;
  }
  if ((takesDown > 0 || surges > 0) && !read.allowance) {
    const by = `the rollout of ${name}`;
    // Every pod the rollout replaces: a budget may select only some (a StatefulSet's primary).
    const labels = [...group.map((p) => p.labels), ...(live ?? []).map((p) => p.metadata.labels ?? {})];
    const labelSets = [...new Map(labels.map((l) => [JSON.stringify(l), l])).values()];
    const allowed = await budgets.waitUntilAllowed(group[0]!, undefined, {
      disruptions: takesDown,
      surges,
      by,
      lasting: true,
      labelSets,
    });
    if (!("release" in allowed)) return { kind: "not-started", reason: allowed.reason };
    read.allowance = allowed;
    read.drawn = takesDown;
    read.surged = surges;
    // Waited for: the workload may have changed meanwhile.
    if (allowed.waited) return { kind: "read-again" };
  }
  // A stop (Ctrl-C, SIGTERM, a closed stdout) while the workload was read still starts nothing.
  if (signal.aborted) return { kind: "not-started", reason: stopReason(signal) };

  const restartedAt = isoSeconds(clock.now());
  // What the check after it holds against the new pods (the stale pods the plan left in the workload too),
  // so that a new pod it finds back on one of those digests is held by the next runs, not rolled again.
  const restartedFor = rolloutRestartedFor(withStaleLeft(group, group[0]!, options));
  const patchAt = (resourceVersion: string | undefined) =>
    api.patchRestartedAt(
      kind,
      namespace,
      target.name,
      resourceVersion ?? "",
      { restartedAt, restartedFor },
      options.dryRun,
    );
  let patched = await patchAt(current.metadata.resourceVersion);
  // Only its status moved (its pods turning Ready, a node joining, every second on a large one), and it
  // decides the same (not mid-rollout now, as many pods taken down): patched again at once under the
  // resourceVersion read now, as its pods and budgets, listed again, would take longer than the next such
  // write.
  const sameRollout = (again: Workload) =>
    sameBesidesStatus(current, again) &&
    JSON.stringify([decideOn(again), budgeted(again)]) === JSON.stringify([decision, [takesDown, surges]]);
  let latest = current;
  for (let retry = 0; patched.kind === "conflict" && retry < statusOnlyRetries; retry++) {
    const again = await api.getWorkload(kind, namespace, target.name);
    if (!again || !sameRollout(again) || signal.aborted) break;
    latest = again;
    patched = await patchAt(again.metadata.resourceVersion);
  }
  if (patched.kind === "gone") return withoutWorkload(api, group, `${name} was not found`, read);
  if (patched.kind === "conflict") return patched;
  if (patched.kind === "failed") {
    if (!patched.perhapsPatched) return { kind: "failed", reason: patched.reason, patched: false };
    // Its pods may be going: what its budgets let it take down stays drawn for the run, as for --no-wait.
    const reason = `${patched.reason}; whether the patch was made could not be read: ${name} may be rolling`;
    return { kind: "failed", reason, patched: false, perhapsPatched: true };
  }
  if (options.dryRun || !options.wait) return { kind: "started" };
  return { kind: "patched", current: latest, generation: patched.generation };
}

/** Patches sent again at once after a Conflict in which only the workload's status moved. */
const statusOnlyRetries = 3;

/** Whether the workload read again differs from the one decided on only in its status (and its versions). */
function sameBesidesStatus(decided: Workload, now: Workload): boolean {
  return withoutStatus(decided) === withoutStatus(now);
}

/** What of a workload a decision reads but its status: its metadata (versions aside) and its spec. */
function withoutStatus(workload: Workload): string {
  const { resourceVersion, managedFields, ...metadata } = workload.metadata as Workload["metadata"] & {
    managedFields?: unknown;
  };
  return JSON.stringify([metadata, workload.spec]);
}

/** Follows the patched workload's rollout and checks its pods. */
async function afterPatch(
  api: RestartApi,
  group: readonly PlanPod[],
  kind: WorkloadKind,
  options: GroupReporter["options"],
  read: WorkloadRead,
  current: Workload,
  generation: number,
): Promise<RolloutOutcome> {
  const namespace = group[0]!.namespace;
  const target = group[0]!.restart!.controller;
  // One wait for the rollout and the check of its pods.
  const deadline = options.clock.now() + options.waitTimeoutMs;
  const followed = await follow(api, kind, namespace, target.name, current.metadata.uid, generation, {
    deadline,
    options,
  });
  // Failed and no longer going on: the workload was deleted during its rollout, and its planned pods
  // most likely with it.
  if (followed.kind === "failed" && !followed.ongoing) {
    // Patched already: pods that cannot be looked for count as the rollout's. Those still there (the garbage
    // collector has yet to remove them, or an orphaning delete left them) were not replaced.
    const missing = await missingIfListed(api, group);
    if (missing) read.own = notReplacedBesides(group, missing, followed.reason);
  }
  // Paused during its rollout: the planned pods it replaced already were rolled; the others stay.
  if (followed.kind === "failed" && followed.paused) {
    const missing = await missingIfListed(api, group);
    if (missing) {
      const rolled: PodOutcome = { kind: "rolled" };
      const left: PodOutcome = { kind: "failed", reason: followed.reason };
      read.own = new Map(group.map((pod) => [pod.uid, missing.has(pod.uid) ? rolled : left]));
    }
    return followed;
  }
  // Failed while it goes on (its progress deadline, or the wait's end): what the kubelets say of its pods.
  if (followed.kind === "failed" && followed.ongoing && !options.signal.aborted) {
    return { ...followed, reason: `${followed.reason}${await saidOfPodsNotUp(api, namespace, current)}` };
  }
  if (followed.kind !== "rolled-out") return followed;
  const listed = await podsToCheck(api, namespace, current, deadline, options);
  if (listed instanceof ClusterAccessError) {
    return {
      kind: "failed",
      reason: `its pods could not be checked for the old digest: ${listed.message}`,
      patched: true,
    };
  }
  // Done, as its status says: a list that did not come says nothing against it.
  if (!Array.isArray(listed)) return { ...followed, unchecked: listed.unchecked };
  const pods = listed;
  // Pods the rollout left alone (below a StatefulSet's partition) are no replacements.
  const replaced = pods.filter((pod) => !belowPartition(current, pod.metadata.name ?? ""));
  // Planned pods still there under their UID after a rollout that is done: their template was written back
  // before the controller replaced them (a GitOps tool, an operator, `kubectl rollout undo`).
  const live = new Set(replaced.filter(isStaying).map((pod) => pod.metadata.uid));
  const unreplaced = group.filter((pod) => live.has(pod.uid));
  if (unreplaced.length > 0) {
    const reason = `the rollout did not replace ${firstFew(unreplaced.map((pod) => pod.name))}: the workload's template was changed back since the patch (a GitOps tool, an operator, kubectl rollout undo)`;
    // Those that went went with this rollout (ones gone before the patch have their own outcome already).
    const own = new Map(read.own);
    for (const pod of unreplaced) own.set(pod.uid, { kind: "failed", reason });
    read.own = own;
    return { kind: "failed", reason, patched: true };
  }
  // Scaled down during its rollout to no pod it replaces (to 0 by an autoscaler such as KEDA, or below a
  // StatefulSet's partition): the planned pods are gone, some maybe replaced first, none there to check.
  if (!replaced.some(isStaying)) {
    const scaled = "the workload was scaled down during its rollout";
    const own = new Map(read.own);
    for (const pod of group) if (!own.has(pod.uid)) own.set(pod.uid, { kind: "gone", reason: scaled });
    read.own = own;
    return { ...followed, unchecked: scaled };
  }
  const key = topOwnerKey(group[0]!);
  const unnamedSeen = key === null ? undefined : options.unnamedSeen?.get(key);
  const old = oldDigestAfterRollout(withStaleLeft(group, group[0]!, options), replaced, unnamedSeen);
  if (old !== null) return { kind: "failed", reason: old, patched: true };
  return followed;
}

/** The planned pods that are not among `live`, by UID: gone, or their name runs a new pod. */
function missingSincePlan(group: readonly PlanPod[], live: readonly Pod[]): Map<string, PodOutcome> {
  const uids = new Set(live.map((p) => p.metadata.uid));
  const names = new Set(live.map((p) => p.metadata.name));
  const missing = new Map<string, PodOutcome>();
  for (const pod of group) {
    if (!uids.has(pod.uid))
      missing.set(pod.uid, names.has(pod.name) ? { kind: "replaced" } : { kind: "gone" });
  }
  return missing;
}

/** `missing`, and every other planned pod as failed for `reason`: still there, not replaced. */
function notReplacedBesides(
  group: readonly PlanPod[],
  missing: ReadonlyMap<string, PodOutcome>,
  reason: string,
): Map<string, PodOutcome> {
  return new Map(group.map((pod) => [pod.uid, missing.get(pod.uid) ?? { kind: "failed", reason }]));
}

/** How many planned pods missing from the workload are looked for by name: not one per pod of a rollout. */
const lookedFor = 10;

/**
 * The missing pods with those still there under their UID (taken out of the workload by a change of their
 * labels, to debug one out of service, say) left as not started: the rollout does not replace them, and they
 * run the old digest on. Only a few are looked for: many missing at once were replaced by a rollout since.
 */
async function stillThere(
  api: Pick<RestartApi, "readPod">,
  missing: Map<string, PodOutcome>,
  group: readonly PlanPod[],
): Promise<Map<string, PodOutcome>> {
  const gone = group.filter((pod) => missing.get(pod.uid)?.kind === "gone");
  if (gone.length > lookedFor) return missing;
  for (const pod of gone) {
    const current = await api.readPod(pod.namespace, pod.name);
    const left = goingSincePlan(pod, current) ? null : leftSincePlan(pod, current);
    if (left !== null) missing.set(pod.uid, { kind: "not-started", reason: left });
  }
  return missing;
}

/**
 * No planned pod still there runs its old digest, and some restarted onto one the plan never saw: nothing
 * is proven stale, and the next run judges them.
 */
function movedOnSincePlan(group: readonly PlanPod[], movedOn: readonly PlanPod[]): RolloutOutcome {
  const onto = "restarted since the plan onto a digest it never saw (the tag moved again)";
  const one = movedOn.length === 1;
  const others =
    group.length - movedOn.length === 1
      ? "the other onto the new image or is"
      : "the others onto the new image or are";
  const reason =
    movedOn.length === group.length
      ? `its planned ${one ? "pod" : "pods"} ${onto}`
      : `of its planned pods, ${firstFew(movedOn.map((pod) => pod.name))} ${onto}, and ${others} gone`;
  return { kind: "not-started", reason: `${reason}: the next run judges ${one ? "it" : "them"}` };
}

/**
 * None of the planned pods is left to the workload, or those left run the new digest already: nothing to
 * roll. Replaced since the plan; or, some taken out of it and running on, left (each says why in a line of
 * its own).
 */
function replacedSincePlan(
  group: readonly PlanPod[],
  missing: ReadonlyMap<string, PodOutcome>,
): RolloutOutcome {
  const gone = group.filter((pod) => missing.get(pod.uid)?.kind === "gone").map((pod) => pod.name);
  const left = group.filter((pod) => missing.get(pod.uid)?.kind === "not-started").map((pod) => pod.name);
  const current = group
    .filter((pod) => {
      const outcome = missing.get(pod.uid);
      return outcome?.kind === "replaced" && outcome.reason === restartedOnto;
    })
    .map((pod) => pod.name);
  if (left.length === 0) {
    return { kind: "replaced", gone, ...(current.length > 0 ? { current } : {}) };
  }
  const are = left.length === 1 ? "is" : "are";
  const reason =
    left.length === group.length
      ? `its planned ${left.length === 1 ? "pod" : "pods"} ${firstFew(left)} ${are} no longer its own`
      : `of its planned pods, ${firstFew(left)} ${are} no longer its own, and the others are gone or were replaced`;
  return { kind: "not-started", reason };
}

/**
 * The workload is gone since the plan. Deleted with its pods (the usual cascade), its planned pods are
 * gone too, as evicting them would have found; pods it left behind (an orphaning delete) are not restarted.
 */
async function withoutWorkload(
  api: RestartApi,
  group: readonly PlanPod[],
  notFound: string,
  read: WorkloadRead,
): Promise<RolloutOutcome> {
  const missing = await missingNow(api, group);
  if (!missing) return { kind: "not-started", reason: notFound };
  read.own = missing;
  if (missing.size < group.length) return { kind: "not-started", reason: notFound };
  return replacedSincePlan(group, missing);
}

/**
 * The planned pods no longer there, looked for by the labels they share (pods being deleted, or ended, count
 * as gone); undefined when they share none.
 */
/** missingNow, or undefined when the pods could not be listed: the outcome then stands as it is. */
function missingIfListed(
  api: RestartApi,
  group: readonly PlanPod[],
): Promise<Map<string, PodOutcome> | undefined> {
  return missingNow(api, group).catch((error: unknown) => {
    if (!(error instanceof ToolFailedError)) throw error;
    return undefined;
  });
}

async function missingNow(
  api: RestartApi,
  group: readonly PlanPod[],
): Promise<Map<string, PodOutcome> | undefined> {
  const selector = sharedLabelsSelector(group);
  if (selector === "") return undefined;
  const pods = await api.listPodsBySelector(group[0]!.namespace, selector);
  return missingSincePlan(group, pods.filter(isStaying));
}

/**
 * The workload's pods after its rollout, to check for the old digest: a list that fails is asked again at
 * each poll until the rollout's wait ends, as its reads are (a short outage is ridden out); else why they were
 * not checked (a Ctrl-C, which ends kubectl too; the wait's end), or the cluster's refusal, still at the end.
 */
async function podsToCheck(
  api: RestartApi,
  namespace: string,
  workload: Workload,
  deadline: number,
  options: GroupReporter["options"],
): Promise<Pod[] | { unchecked: string } | ClusterAccessError> {
  for (;;) {
    try {
      return (await podsOf(api, namespace, workload)) ?? [];
    } catch (error) {
      if (!(error instanceof ToolFailedError)) throw error;
      if (options.signal.aborted) return { unchecked: stopReason(options.signal) };
      if (options.clock.now() >= deadline) {
        return error instanceof ClusterAccessError
          ? error
          : { unchecked: `its pods could not be listed: ${error.message}` };
      }
      await options.clock.sleep(options.pollMs, options.signal).catch(() => {});
    }
  }
}

/**
 * What the kubelets say of the workload's pods not up (`web-…'s app ImagePullBackOff`), the first thing one
 * would look up of a rollout that does not finish; nothing when none says anything or they cannot be read.
 */
async function saidOfPodsNotUp(api: RestartApi, namespace: string, workload: Workload): Promise<string> {
  const pods = await podsOf(api, namespace, workload).catch((error: unknown) => {
    if (error instanceof ToolFailedError) return null;
    throw error;
  });
  return waitingNote((pods ?? []).filter((pod) => isStaying(pod) && !isReady(pod)));
}

/**
 * The workload's own pods now, found through its selector (null without one); a Deployment's through its
 * ReplicaSets, read after them: one kubectl at a time per workload, so that with the Events apply's
 * kubectl stay within twice --concurrency (README).
 */
async function podsOf(
  api: RestartApi,
  namespace: string,
  workload: Workload,
): Promise<PodWithConditions[] | null> {
  const selector = workload.spec.selector ? selectorString(workload.spec.selector) : "";
  if (selector === "") return null;
  const pods = await api.listPodsBySelector(namespace, selector);
  const replicaSets = workload.kind === "Deployment" ? await api.listReplicaSets(namespace, selector) : [];
  return ownedPods(workload, pods, replicaSets);
}

/** Polls the workload until its rollout of `generation` is done, has failed, or the wait (`deadline`) ends. */
async function follow(
  api: RestartApi,
  kind: WorkloadKind,
  namespace: string,
  workload: string,
  uid: string | undefined,
  generation: number,
  { deadline, options }: { deadline: number; options: GroupReporter["options"] },
): Promise<RolloutOutcome> {
  const { clock, signal } = options;
  let progress = "waiting for the controller to see the change";
  // Each read is a kubectl: at the poll while the rollout moves, less often while it stands still.
  let pause = options.pollMs;
  for (;;) {
    const before = progress;
    // A read that fails is asked again at the next poll: the rollout goes on on the server meanwhile.
    const w = await api.getWorkload(kind, namespace, workload).catch((error: unknown) => {
      if (!(error instanceof ToolFailedError)) throw error;
      // A read Ctrl-C ended (it ends kubectl too) says nothing of the rollout's progress.
      if (!signal.aborted) progress = `its last read failed: ${error.message}`;
      return undefined;
    });
    if (w === null)
      return { kind: "failed", reason: `${kind}/${workload} was deleted during its rollout`, patched: true };
    // Another object under its name (`kubectl replace --force`, a GitOps tool's Replace): the one patched is
    // gone, and the new one's generation is not the patch's.
    if (w && uid !== undefined && w.metadata.uid !== undefined && w.metadata.uid !== uid) {
      const reason = `${kind}/${workload} was deleted and created again during its rollout`;
      return { kind: "failed", reason, patched: true };
    }
    if (w) {
      const status = rolloutStatus(w, generation);
      if (status.state === "done") return { kind: "rolled-out", pods: replacedPods(w) };
      if (status.state === "failed") {
        return {
          kind: "failed",
          reason: `${workloadName(w)}: ${status.reason}`,
          patched: true,
          ongoing: true,
          ...(status.paused ? { paused: true as const } : {}),
        };
      }
      progress = status.progress;
    }
    if (signal.aborted) return { kind: "in-progress", progress };
    if (clock.now() >= deadline) {
      return {
        kind: "failed",
        reason: `the rollout did not finish within the wait timeout (${progress})`,
        patched: true,
        ongoing: true,
      };
    }
    pause =
      progress === before
        ? Math.max(options.pollMs, Math.min(pause * 2, stillRolloutPollMs))
        : options.pollMs;
    // Never past the deadline: the last read is at it.
    await clock.sleep(Math.max(0, Math.min(pause, deadline - clock.now())), signal);
    if (signal.aborted) return { kind: "in-progress", progress };
  }
}

/** How long a rollout whose progress stands still goes unread at most (a pod starting takes seconds). */
const stillRolloutPollMs = 10_000;

function replacedPods(w: Workload): number {
  return w.kind === "DaemonSet" ? (w.status?.updatedNumberScheduled ?? 0) : (w.status?.updatedReplicas ?? 0);
}

/** `maxUnavailable 4 of 2 replicas` → `maxUnavailable # of # replica`: a count, and its noun's plural. */
function withoutCounts(warning: string): string {
  return warning.replace(/\d+(?: ([a-z]+?)s?\b)?/g, (_, noun?: string) => (noun ? `# ${noun}` : "#"));
}
