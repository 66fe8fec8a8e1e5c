/**
 * What install-cron's CronJob and the kubectl-autoupdate it runs agree on: the environment variables the CLI
 * reads, and the container whose log and termination message are the run's.
 */

/** The variable the job's apply reads the webhook URL from (cli/webhook-options.ts reads it). */
export const webhookUrlEnv = "KUBECTL_AUTOUPDATE_WEBHOOK_URL";

/**
 * The variables the job's apply reads its own Job from (the downward API fills them in), to give way to an
 * earlier run of the CronJob still in progress (cron/core/turn.ts).
 */
export const ownJobEnv = {
  name: "KUBECTL_AUTOUPDATE_JOB",
  namespace: "KUBECTL_AUTOUPDATE_JOB_NAMESPACE",
} as const;

/** The Job this run is, read from ownJobEnv (empty name: the cluster sets no job-name label). */
export interface OwnJob {
  name: string;
  namespace: string;
}

/**
 * Where apply writes its one-line result. The CronJob's container names its termination message file, so the
 * kubelet keeps the line in the pod's status, where cron-status reads it per Job.
 */
export const resultFileEnv = "KUBECTL_AUTOUPDATE_RESULT_FILE";

/**
 * The ConfigMap, `NAMESPACE/NAME`, where plan and apply read and apply keeps the restarts in vain beyond the
 * Events (core/restart-record.ts). install-cron makes one per installation and names it here.
 */
export const recordConfigMapEnv = "KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP";

/** The job pod's one container of ours: its log is the run's (an injected sidecar's is not). */
export const jobContainerName = "kubectl-autoupdate";
