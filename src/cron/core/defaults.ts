/**
 * The CronJob's Job and pod tuning (README documents these). Apart from install-objects.ts so that --help can
 * show the defaults without loading how the objects are built.
 */
export const cronDefaults = {
  schedule: "*/10 * * * *",
  name: "kubectl-autoupdate",
  /** A run that starts more than 5 minutes late is skipped; the next one comes soon. */
  startingDeadlineSeconds: 300,
  successfulJobsHistoryLimit: 3,
  failedJobsHistoryLimit: 3,
  /** No retry inside a run: the schedule is the retry, and a failed run stays visible as Failed. */
  backoffLimit: 0,
  /** apply waits for each replacement pod (5m each); 30 minutes bounds a stuck run. */
  activeDeadlineSeconds: 1800,
  /**
   * After SIGTERM (the deadline, a drain) a run still records what it restarted and posts its webhook
   * (an Event 20 s, the record 2 × 20 s, the webhook up to ~50 s: three tries, a Retry-After of up to 10 s
   * between them): Kubernetes' 30 s would cut that short.
   */
  terminationGracePeriodSeconds: 120,
  /** Finished Jobs are removed after a day even if the history limits would keep them. */
  ttlSecondsAfterFinished: 86400,
  /**
   * The request is what a run of a small cluster holds, Node.js and three kubectl at ~45 MB each: a pod far
   * above its request is among the first evicted under memory pressure, a run cut off mid-restart.
   */
  resources: {
    requests: { cpu: "50m", memory: "256Mi" },
    limits: { cpu: "1", memory: "1Gi" },
  },
  /** /tmp is the only writable path (private docker config dirs, kubectl's cache). */
  tmpSizeLimit: "64Mi",
  dockerSocket: "/var/run/docker.sock",
} as const;
