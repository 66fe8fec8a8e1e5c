/**
 * The real CronJob controller (test/testbed) runs the installed CronJob on its schedule, or tells why it
 * could not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { cli, json, useCronCluster } from "../../support/cron-cluster.js";
import { kk, kubectl, until } from "../../support/e2e.js";

const cluster = useCronCluster();

/** An admission policy refusing every Job in namespaces labelled e2e-no-jobs=true. */
const noJobs = [
  {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: "e2e-no-jobs" },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          { apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["jobs"] },
        ],
      },
      validations: [{ expression: "false", message: "no jobs in this namespace" }],
    },
  },
  {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: "e2e-no-jobs" },
    spec: {
      policyName: "e2e-no-jobs",
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchLabels: { "e2e-no-jobs": "true" } } },
    },
  },
];

// Both installs are made first, so that one minute of the schedule serves both tests.
beforeAll(async () => {
  await cluster.namespace("t4");
  await cluster.namespace("t6", { "e2e-no-jobs": "true" });
  await kk(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: noJobs }));
  // The API server enforces a new policy a moment later: a server-side dry run says when.
  await until("the policy to refuse jobs", async () => {
    const probe = ["create", "job", "probe", "--image=x", "-n", "t6", "--dry-run=server"];
    return (await kubectl(probe)).stderr.includes("no jobs in this namespace") ? true : undefined;
  });
  for (const namespace of ["t4", "t6"]) {
    const result = await cli("install-cron", "-n", namespace, "--schedule", "* * * * *", "-l", "app=web");
    expect(result.code, result.stderr).toBe(0);
  }
});

afterAll(async () => {
  await kk(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "e2e-no-jobs"]);
});

describe("the CronJob controller runs the installed CronJob", () => {
  it("on schedule it creates a Job whose pod runs `apply --yes` as the ServiceAccount, marked to be left alone", async () => {
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

describe("cron-status of a CronJob whose Jobs are refused", () => {
  it("shows what the CronJob controller last warned about: its FailedCreate", async () => {
    const status = await until(
      "the CronJob controller's FailedCreate in cron-status",
      async () => {
        const result = await cli("cron-status", "-n", "t6");
        expect(result.code, result.stderr).toBe(0);
        return /^Last warning: +FailedCreate/m.test(result.stdout) ? result : undefined;
      },
      150_000,
    );
    expect(status.stdout).toMatch(
      /^Last warning: +FailedCreate \(.* ago\): Error creating job: .*no jobs in this namespace/m,
    );
    expect(status.stdout).toContain("No jobs yet.");
    const document = JSON.parse((await cli("cron-status", "-n", "t6", "-o", "json")).stdout);
    expect(document.lastWarning).toMatchObject({ reason: "FailedCreate" });
    expect(document.lastWarning.message).toContain("no jobs in this namespace");
  }, 240_000);
});
