/**
 * The real CronJob controller (test/testbed) runs the installed CronJob on its schedule.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { cli, json, useCronCluster } from "../../support/cron-cluster.js";
import { until } from "../../support/e2e.js";

const cluster = useCronCluster();

describe("the CronJob controller runs the installed CronJob", () => {
  it("on schedule it creates a Job whose pod runs `apply --yes` as the ServiceAccount, marked to be left alone", async () => {
    await cluster.namespace("t4");
    const result = await cli("install-cron", "-n", "t4", "--schedule", "* * * * *", "-l", "app=web");
    expect(result.code).toBe(0);
    const pod = await until(
      "a scheduled job's pod",
      async () =>
        (await json(["get", "pods", "-n", "t4", "-l", "app.kubernetes.io/instance=kubectl-autoupdate"]))
          .items[0],
      // Up to a minute until the schedule's next minute, then the CronJob and Job controllers.
      150_000,
    );
    const job = await json(["get", "job", pod.metadata.labels["batch.kubernetes.io/job-name"], "-n", "t4"]);
    expect(job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBeDefined();
    expect(job.metadata.ownerReferences[0]).toMatchObject({
      kind: "CronJob",
      name: "kubectl-autoupdate",
      controller: true,
    });
    expect(pod.metadata.labels["kubectl-autoupdate/ignore"]).toBe("true");
    expect(pod.spec.serviceAccountName).toBe("kubectl-autoupdate");
    expect(pod.spec.containers[0].command).toEqual([
      "kubectl-autoupdate",
      "apply",
      "--yes",
      "--summary-json",
      "--color=never",
      "--namespace=t4",
      "--selector=app=web",
      "--resolver=registry",
      "--strategy=auto",
    ]);
    // The CronJob controller records the schedule after creating the Job, so maybe after its pod exists.
    const cron = await until("the CronJob's lastScheduleTime", async () => {
      const now = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t4"]);
      return now.status.lastScheduleTime ? now : undefined;
    });
    expect(YAML.stringify(cron.spec)).toContain("readOnlyRootFilesystem: true");
  }, 240_000);
});
