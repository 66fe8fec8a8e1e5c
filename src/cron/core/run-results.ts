/**
 * What each run of the CronJob said when it ended: its container's termination message (apply's one-line
 * result, or the last lines of its log when it ended before writing one), which the kubelet keeps in the
 * pod's status as long as the Job keeps its pods. Pure.
 */
import { controllerOf, type ObjectMeta } from "../../core/k8s.js";
import { jobContainerName } from "./objects.js";

/** A pod of a Job, the parts that say how its run ended. */
export interface RunPod {
  metadata: ObjectMeta & { creationTimestamp?: string };
  status?: {
    containerStatuses?: {
      name: string;
      state?: { terminated?: { exitCode?: number; reason?: string; message?: string } };
    }[];
  };
}

/**
 * Each Job's result by the Job's uid, from its newest pod that ended: the message's last line, or, with no
 * message from a run that failed, the kubelet's reason and the exit code (`OOMKilled (exit 137)`). A Job
 * whose pods have not ended, or ended well without a word (made by an older install-cron), has none.
 */
export function runResults(pods: readonly RunPod[]): Map<string, string> {
  const results = new Map<string, { line: string; created: string }>();
  for (const pod of pods) {
    const job = controllerOf(pod.metadata);
    if (job?.kind !== "Job" || job.uid === undefined) continue;
    const created = pod.metadata.creationTimestamp ?? "";
    const known = results.get(job.uid);
    if (known && known.created > created) continue;
    const container = pod.status?.containerStatuses?.find((c) => c.name === jobContainerName);
    const line = endedWith(container?.state?.terminated);
    if (line !== undefined) results.set(job.uid, { line, created });
  }
  return new Map([...results].map(([uid, { line }]) => [uid, line]));
}

function endedWith(terminated: { exitCode?: number; reason?: string; message?: string } | undefined) {
  if (!terminated) return undefined;
  const lines = (terminated.message ?? "").split("\n").filter((line) => line.trim() !== "");
  const last = lines.at(-1)?.trim();
  if (last !== undefined) return last;
  const code = terminated.exitCode ?? 0;
  return code === 0 ? undefined : `${terminated.reason ?? "Error"} (exit ${code})`;
}
