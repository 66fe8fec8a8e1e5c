/**
 * What each run of the CronJob said when it ended: its container's termination message (apply's one-line
 * result, or the last lines of its log when it ended before writing one), which the kubelet keeps in the
 * pod's status as long as the pod exists. Pure.
 */
import { controllerOf, type ObjectMeta } from "../../core/k8s.js";
import { jobContainerName } from "./job-contract.js";

interface Terminated {
  exitCode?: number;
  reason?: string;
  message?: string;
  finishedAt?: string;
}

/** A pod of a Job, the parts that say how its run ended. */
export interface RunPod {
  metadata: ObjectMeta & { creationTimestamp?: string };
  status?: { containerStatuses?: { name: string; state?: { terminated?: Terminated } }[] };
}

/**
 * Each Job's result by the Job's uid, from its pod that ended last: the message's last line; with no
 * message from a run that failed, the kubelet's reason and the exit code (`OOMKilled (exit 137)`). A Job
 * none of whose pods has ended, or whose run ended well without a word (made by an older install-cron),
 * has none.
 */
export function runResults(pods: readonly RunPod[]): Map<string, string> {
  const results = new Map<string, { line: string; endedAt: string }>();
  for (const pod of pods) {
    const job = controllerOf(pod.metadata);
    if (job?.kind !== "Job" || job.uid === undefined) continue;
    const terminated = pod.status?.containerStatuses?.find((c) => c.name === jobContainerName)?.state
      ?.terminated;
    const line = terminated && endedWith(terminated);
    if (line === undefined) continue;
    const endedAt = terminated?.finishedAt ?? pod.metadata.creationTimestamp ?? "";
    const known = results.get(job.uid);
    if (!known || known.endedAt <= endedAt) results.set(job.uid, { line, endedAt });
  }
  return new Map([...results].map(([uid, { line }]) => [uid, line]));
}

/** How apply's process ends by itself: 0, or 1 after an error line (the kubelet's reasons for them). */
const ownEnds = new Set(["0 Completed", "1 Error"]);

/**
 * The message's last line, behind the kubelet's reason when apply did not end by itself (`OOMKilled (exit
 * 137): <the log's last line>`): the log then stops wherever the run was, and reads like a run going well.
 */
function endedWith(terminated: Terminated): string | undefined {
  const code = terminated.exitCode ?? 0;
  const reason = terminated.reason ?? (code === 0 ? "Completed" : "Error");
  const last = (terminated.message ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .at(-1);
  const how = `${reason} (exit ${code})`;
  if (last === undefined) return code === 0 ? undefined : how;
  return ownEnds.has(`${code} ${reason}`) ? last : `${how}: ${last}`;
}
