/**
 * run-now, cron-status and uninstall-cron against the real API server (test/testbed) without nodes: a test
 * ends the Job's pod itself, as a kubelet would, and the real Job controller finishes the Job.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cli, finishJobPod, json, selector, useCronCluster } from "../../support/cron-cluster.js";
import { kk, kubectl, until } from "../../support/e2e.js";

const cluster = useCronCluster();

describe("run-now, cron-status, uninstall-cron", () => {
  beforeAll(async () => {
    await cluster.namespace("t3", { "pod-security.kubernetes.io/enforce": "restricted" });
    const result = await cli("install-cron", "-n", "t3", "--suspend");
    expect(result.code).toBe(0);
    // For the last test: an -A install elsewhere.
    await cluster.namespace("t2");
    expect((await cli("install-cron", "-n", "t2", "-A")).code).toBe(0);
  });

  it("run-now creates a Job owned by the CronJob with the manual annotation, even while suspended", async () => {
    const result = await cli("run-now", "-n", "t3");
    expect(result.code).toBe(0);
    const name = result.stdout.trim();
    expect(name).toMatch(/^kubectl-autoupdate-manual-[a-z0-9]{5}$/);
    const job = await json(["get", "job", name, "-n", "t3"]);
    const cron = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t3"]);
    expect(job.metadata.annotations["cronjob.kubernetes.io/instantiate"]).toBe("manual");
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        name: "kubectl-autoupdate",
        uid: cron.metadata.uid,
        controller: true,
      },
    ]);
    expect(job.metadata.labels).toMatchObject(cron.spec.jobTemplate.metadata.labels);
    // The Job controller made its pod: admitted under Pod Security "restricted", marked to be left alone.
    const pods = await until("the job's pod", async () => {
      const list = await json(["get", "pods", "-n", "t3", "-l", `batch.kubernetes.io/job-name=${name}`]);
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(pods[0].metadata.labels["kubectl-autoupdate/ignore"]).toBe("true");
    expect(pods[0].spec.serviceAccountName).toBe("kubectl-autoupdate");
    // Until it finishes, a second run-now is refused (no kubelet here: its pod never starts).
    const again = await cli("run-now", "-n", "t3");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: job ${name} has not started yet (concurrencyPolicy Forbid)`);
    expect((await json(["get", "jobs", "-n", "t3"])).items).toHaveLength(1);
    await finishJobPod("t3", name, "Succeeded");
    // cron-status below counts this Job as Complete: the Job controller marks it so a moment later.
    await kk(["wait", "--for=condition=Complete", `job/${name}`, "-n", "t3", "--timeout=120s"]);
  });

  it.each([
    ["Succeeded", 0, "complete"],
    // The run's own ending, as cron-status shows it (the Job says only BackoffLimitExceeded).
    ["Failed", 1, "failed: Error (exit 1)"],
  ] as const)("run-now --wait follows the Job; its pod %s → exit %d", async (phase, code, message) => {
    const jobNames = async (): Promise<string[]> =>
      (await json(["get", "jobs", "-n", "t3"])).items.map(
        (j: { metadata: { name: string } }) => j.metadata.name,
      );
    const earlier = new Set(await jobNames());
    const running = cli("run-now", "-n", "t3", "--wait", "--poll-interval=200ms", "--timeout=2m");
    const job = await until("the new manual job", async () =>
      (await jobNames()).find((n) => !earlier.has(n)),
    );
    await finishJobPod("t3", job, phase);
    const result = await running;
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(`job.batch/${job} created`);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`job.batch/${job}: ${phase === "Succeeded" ? "Complete" : "Failed"}`);
    // Without a kubelet the API server serves an unscheduled pod's log as empty (exit 0): nothing to print.
    expect(result.stdout).toBe("");
  });

  it("cron-status shows the CronJob and its jobs with their outcome", async () => {
    // The CronJob controller warns UnexpectedJob of every Job run-now made: no last warning for that.
    await until("the CronJob controller's UnexpectedJob", async () => {
      const events = await json(["get", "events", "-n", "t3", "--field-selector=reason=UnexpectedJob"]);
      return events.items.length > 0 ? true : undefined;
    });
    const result = await cli("cron-status", "-n", "t3", "-o", "json");
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({
      kind: "CronStatus",
      schedule: "*/10 * * * *",
      timeZone: null,
      suspended: true,
      scope: { allNamespaces: false, namespace: "t3", selector: null },
      resolver: "registry",
      lastWarning: null,
    });
    // The pods' ends as finishJobPod reports them (no kubelet here, so no termination message): the failed
    // run's exit code stands for what it would have said.
    const runs = status.jobs as { trigger: string; status: string; result: string | null }[];
    expect(runs.map((j) => `${j.trigger}/${j.status}/${j.result}`).sort()).toEqual([
      "manual/Complete/null",
      "manual/Complete/null",
      "manual/Failed/Error (exit 1)",
    ]);
    const table = await cli("cron-status", "-n", "t3");
    expect(table.stdout).toMatch(/^Suspended:\s+true$/m);
    expect(table.stdout).toMatch(/^Last warning:\s+<none>$/m);
    expect(table.stdout).toMatch(/^JOB\s+TRIGGER\s+STATUS\s+STARTED\s+DURATION\s+RESULT$/m);
    expect(table.stdout).toMatch(/^kubectl-autoupdate-manual-\w+\s+manual\s+Failed\s.*\sError \(exit 1\)$/m);
  });

  it("uninstall-cron --dry-run deletes nothing; uninstall-cron leaves nothing behind", async () => {
    const everything = async () => [
      ...(
        await json([
          "get",
          "cronjobs,jobs,pods,serviceaccounts,roles,rolebindings",
          "-n",
          "t3",
          "-l",
          "app.kubernetes.io/instance=kubectl-autoupdate",
        ])
      ).items,
      ...(await json(["get", "clusterroles,clusterrolebindings", "-l", "kubectl-autoupdate/namespace=t3"]))
        .items,
    ];
    const before = (await everything()).length;
    const dry = await cli("uninstall-cron", "-n", "t3", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("cronjob.batch/kubectl-autoupdate deleted (server dry run)");
    expect((await everything()).length).toBe(before);

    const result = await cli("uninstall-cron", "-n", "t3");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("cronjob.batch/kubectl-autoupdate deleted");
    await until("garbage collection of jobs and pods", async () =>
      (await everything()).length === 0 ? true : undefined,
    );
    const again = await cli("uninstall-cron", "-n", "t3");
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Nothing to uninstall");
  });

  it("uninstall-cron of an -A install removes the ClusterRole and ClusterRoleBinding too", async () => {
    const result = await cli("uninstall-cron", "-n", "t2");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("clusterrole.rbac.authorization.k8s.io/t2:kubectl-autoupdate deleted");
    expect((await json(["get", "clusterroles,clusterrolebindings", "-l", selector])).items).toEqual([]);
  });
});

describe("run-now --wait on a Job the Job controller cannot make a pod for", () => {
  it("shows the controller's FailedCreate (an admission policy refusing its pod) while it waits", async () => {
    await cluster.namespace("t5", { "e2e-no-pods": "true" });
    expect((await cli("install-cron", "-n", "t5", "--suspend")).code).toBe(0);
    const policy = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: "e2e-no-pods" },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] },
          ],
        },
        validations: [{ expression: "false", message: "no pods in this namespace" }],
      },
    };
    const binding = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: "e2e-no-pods" },
      spec: {
        policyName: "e2e-no-pods",
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { "e2e-no-pods": "true" } } },
      },
    };
    await kk(
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [policy, binding] }),
    );
    try {
      // The API server enforces a new policy a moment later: a server-side dry run says when.
      await until("the policy to refuse pods", async () => {
        const probe = ["run", "probe", "--image=x", "-n", "t5", "--dry-run=server"];
        return (await kubectl(probe)).stderr.includes("no pods in this namespace") ? true : undefined;
      });
      const result = await cli("run-now", "-n", "t5", "--wait", "--poll-interval=200ms", "--timeout=10s");
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/: Pending \(FailedCreate: Error creating: .*no pods in this namespace/);
      expect(result.stderr).toContain("still Pending after --timeout");
    } finally {
      await kk(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "e2e-no-pods"]);
    }
  });
});
