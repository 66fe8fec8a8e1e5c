/**
 * The cron core on objects recorded from the real control plane (test/testbed): run-now's Job, where a Job
 * stands, cron-status's summary, the runs' turn, and what install-cron says it applied.
 */
import { describe, expect, it } from "vitest";
import { applyChange } from "../../../../src/cron/core/apply-change.js";
import { buildInstallObjects } from "../../../../src/cron/core/install-objects.js";
import {
  type CronJobObject,
  inProgressPhrase,
  type JobObject,
  jobFromCronJob,
  jobOutcome,
  lastWarning,
  type WarningEvent,
  whyNoPod,
  whyNotSetUp,
  whyNotStarted,
  withCreateFailures,
} from "../../../../src/cron/core/jobs.js";
import { cronStatus, recordRefOf } from "../../../../src/cron/core/status.js";
import { turnOf } from "../../../../src/cron/core/turn.js";
import { renderCronStatusTable, toCronStatusDocument } from "../../../../src/cron/output/status.js";
import { fixture } from "../../../support/fixtures.js";
import { installSpec } from "../../../support/install-spec.js";

const recorded = <T>(name: string): T => JSON.parse(fixture("cron", name)) as T;
// Recorded after install-cron -n tools -l app=web --time-zone Europe/Berlin, two run-now (one made to
// succeed, one to fail by setting its pod's status) and one scheduled run still pending.
const cronJob = recorded<CronJobObject>("cronjob.json");
const jobs = recorded<{ items: JobObject[] }>("jobs.json").items;
const job = (prefix: string) => jobs.find((j) => j.metadata.name.startsWith(prefix))!;

describe("jobFromCronJob (as kubectl create job --from=cronjob/…)", () => {
  const created = jobFromCronJob(cronJob);

  it("copies the template's spec, labels and annotations; adds the manual annotation and a controller owner", () => {
    expect(created.metadata).toEqual({
      generateName: "kubectl-autoupdate-manual-",
      namespace: "tools",
      labels: cronJob.spec.jobTemplate.metadata?.labels,
      annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
      ownerReferences: [
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          name: "kubectl-autoupdate",
          uid: cronJob.metadata.uid,
          controller: true,
        },
      ],
    });
    expect(created.spec).toEqual(cronJob.spec.jobTemplate.spec);
    expect(created.spec).not.toBe(cronJob.spec.jobTemplate.spec);
  });

  it("keeps the template's own annotations, the manual one winning", () => {
    const annotated = structuredClone(cronJob);
    annotated.spec.jobTemplate.metadata = {
      ...annotated.spec.jobTemplate.metadata,
      annotations: { team: "platform", "cronjob.kubernetes.io/instantiate": "scheduled" },
    };
    expect(jobFromCronJob(annotated).metadata.annotations).toEqual({
      team: "platform",
      "cronjob.kubernetes.io/instantiate": "manual",
    });
  });
});

describe("jobOutcome", () => {
  it("reads Complete, Failed (with the reason), and a Job whose pod has not started (no node ran it) as Pending", () => {
    expect(jobOutcome(job("kubectl-autoupdate-manual-lh9bp"))).toMatchObject({
      state: "Complete",
      finished: true,
    });
    expect(jobOutcome(job("kubectl-autoupdate-manual-8r8nt"))).toMatchObject({
      state: "Failed",
      finished: true,
      reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
    });
    // Recorded on a test bed without nodes: active 1, ready 0.
    expect(jobOutcome(job("kubectl-autoupdate-2"))).toEqual({ state: "Pending", finished: false });
    const running = { metadata: { name: "j" }, status: { active: 1, ready: 1 } };
    expect(jobOutcome(running)).toEqual({ state: "Running", finished: false });
    // An API server that does not count ready pods: active is all there is.
    expect(jobOutcome({ metadata: { name: "j" }, status: { active: 1 } })).toEqual({
      state: "Running",
      finished: false,
    });
  });

  it("a Job whose only pod is stopping, undecided (drained; podReplacementPolicy Failed): Running, as kubectl says", () => {
    // The run is still ending (its report, Events and record) within the pod's grace period.
    const stopping = { metadata: { name: "j" }, status: { active: 0, ready: 0, terminating: 1 } };
    expect(jobOutcome(stopping)).toEqual({ state: "Running", finished: false });
    expect(inProgressPhrase(jobOutcome(stopping).state)).toBe("is still running");
  });

  it("a Job decided but whose pod is still stopping (Kubernetes 1.31+): kubectl's words, not Pending", () => {
    const deciding = (type: string, reason?: string, message?: string) => ({
      metadata: { name: "j" },
      // The stopping pod is counted as terminating, no longer as active.
      status: { active: 0, ready: 0, conditions: [{ type, status: "True", reason, message }] },
    });
    expect(
      jobOutcome(
        deciding("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"),
      ),
    ).toEqual({
      state: "FailureTarget",
      finished: false,
      reason: "DeadlineExceeded: Job was active longer than specified deadline",
    });
    expect(jobOutcome(deciding("SuccessCriteriaMet", "CompletionsReached"))).toEqual({
      state: "SuccessCriteriaMet",
      finished: false,
    });
    expect(inProgressPhrase("FailureTarget")).toBe("has failed, and its pod is still stopping");
  });

  it("says why a Job's pod does not start, from the kubelet's waiting reasons", () => {
    const pod = (reason: string, message?: string) => ({
      metadata: { name: "p" },
      status: {
        containerStatuses: [{ name: "kubectl-autoupdate", state: { waiting: { reason, message } } }],
      },
    });
    expect(whyNotStarted([pod("ContainerCreating")])).toBeUndefined();
    expect(whyNotStarted([pod("CreateContainerConfigError", 'secret "hook" not found')])).toBe(
      'pod p: CreateContainerConfigError: secret "hook" not found',
    );
    expect(whyNotStarted([pod("ImagePullBackOff")])).toBe("pod p: ImagePullBackOff");
  });

  it("says why a pod's containers stay in creation from the kubelet's Events, until the pod is past that", () => {
    const mount = {
      reason: "FailedMount",
      message: "hostPath type check failed",
      lastTimestamp: "2026-12-06T10:00:05Z",
    };
    const pulled = { reason: "Failed", message: "an image pull", lastTimestamp: "2026-12-06T10:00:09Z" };
    const creating = (ready: "True" | "False") => ({
      metadata: { name: "p" },
      status: { conditions: [{ type: "PodReadyToStartContainers", status: ready }] },
    });
    expect(whyNotSetUp(creating("False"), [mount, pulled])).toBe(
      "pod p: FailedMount: hostPath type check failed",
    );
    // Its sandbox made and its volumes mounted since: the Event, which lasts an hour, is past.
    expect(whyNotSetUp(creating("True"), [mount])).toBeUndefined();
  });

  it("the cluster's messages are shown without a URL's query: a presigned blob URL's is a key to the blob", () => {
    const signed =
      "https://bucket.s3.eu-west-1.amazonaws.com/sha256:6d?X-Amz-Security-Token=SESSIONTOKEN&X-Amz-Signature=9f0c";
    const message = `failed to pull and unpack image "x": failed to do request: Get "${signed}": i/o timeout`;
    const shown =
      'failed to pull and unpack image "x": failed to do request: Get "https://bucket.s3.eu-west-1.amazonaws.com/sha256:6d?…": i/o timeout';
    const waiting = {
      metadata: { name: "p" },
      status: { containerStatuses: [{ name: "c", state: { waiting: { reason: "ErrImagePull", message } } }] },
    };
    expect(whyNotStarted([waiting])).toBe(`pod p: ErrImagePull: ${shown}`);
    const event = { reason: "FailedCreate", message, lastTimestamp: "2026-12-02T10:00:00Z" };
    expect(whyNoPod([event])).toBe(`FailedCreate: ${shown}`);
    expect(lastWarning([event])?.message).toBe(shown);
    const failed = {
      metadata: { name: "j" },
      status: { conditions: [{ type: "Failed", status: "True", reason: "PodFailurePolicy", message }] },
    };
    expect(jobOutcome(failed).reason).toBe(`PodFailurePolicy: ${shown}`);
  });

  it("says why a Job's pod is not scheduled (no node has what it requests)", () => {
    const message = "0/3 nodes are available: 3 Insufficient memory.";
    const unscheduled = {
      metadata: { name: "p" },
      status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] },
    };
    expect(whyNotStarted([unscheduled])).toBe(`pod p: Unschedulable: ${message}`);
    const scheduled = {
      metadata: { name: "p" },
      status: { conditions: [{ type: "PodScheduled", status: "True" }] },
    };
    expect(whyNotStarted([scheduled])).toBeUndefined();
  });

  it("a FailureTarget condition alone is not the end yet: the recorded Job before its pod stopped", () => {
    const failing = structuredClone(job("kubectl-autoupdate-manual-8r8nt"));
    failing.status!.conditions = failing.status!.conditions!.filter((c) => c.type !== "Failed");
    failing.status!.active = 0;
    expect(jobOutcome(failing)).toEqual({
      state: "FailureTarget",
      finished: false,
      reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
      decidedAt: "2026-11-25T13:11:09Z",
    });
  });
});

describe("cronStatus", () => {
  // What the runs' pods said when they ended (run-results.ts); the pending run has said nothing yet.
  const results = new Map([
    [
      job("kubectl-autoupdate-manual-lh9bp").metadata.uid!,
      "Nothing to restart: 0 stale, 0 unknown, 2 current (2 pods checked)",
    ],
  ]);
  const status = cronStatus(cronJob, jobs, results, null, []);

  it("summarizes the CronJob and its Jobs, newest first, with their trigger", () => {
    expect(status).toMatchObject({
      name: "kubectl-autoupdate",
      namespace: "tools",
      schedule: "*/10 * * * *",
      timeZone: "Europe/Berlin",
      suspended: false,
      scope: { allNamespaces: false, namespace: "tools", selector: "app=web" },
      resolver: "registry",
      image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0",
      lastScheduleTime: "2026-11-25T13:10:00Z",
      lastSuccessfulTime: "2026-11-25T13:11:09Z",
      active: ["kubectl-autoupdate-29926870"],
    });
    expect(status.jobs.map((j) => [j.name, j.trigger, j.state])).toEqual([
      ["kubectl-autoupdate-manual-8r8nt", "manual", "Failed"],
      ["kubectl-autoupdate-manual-lh9bp", "manual", "Complete"],
      ["kubectl-autoupdate-29926870", "schedule", "Pending"],
    ]);
  });

  it("a flag appended to the job's args by hand counts, as the run's option parser takes the last", () => {
    const edited = structuredClone(cronJob);
    const container = edited.spec.jobTemplate.spec.template?.spec?.containers?.[0];
    if (!container) throw new Error("the recorded CronJob has no container");
    const args = container.args ?? [];
    container.args = [...args, "--resolver=docker"];
    expect(cronStatus(edited, jobs, results, null, []).resolver).toBe("docker");
    // As two words, the way a hand edit of the YAML list writes it.
    container.args = [...args, "--resolver", "docker", "--yes"];
    expect(cronStatus(edited, jobs, results, null, []).resolver).toBe("docker");
  });

  it("each Job with what its run said, if it said anything", () => {
    expect(status.jobs.map((j) => j.result)).toEqual([
      undefined,
      "Nothing to restart: 0 stale, 0 unknown, 2 current (2 pods checked)",
      undefined,
    ]);
  });

  it("a run-now Job not yet ended is active, though the controller lists only the Jobs it made", () => {
    const running = structuredClone(job("kubectl-autoupdate-29926870"));
    running.metadata.name = "kubectl-autoupdate-manual-q7x2k";
    running.metadata.uid = "4d1c6a0e-2a5e-4f5e-9a8e-0f3c2b1a9d87";
    running.metadata.annotations = { "cronjob.kubernetes.io/instantiate": "manual" };
    running.status = { ...running.status, ready: 1 };
    expect(cronStatus(cronJob, [...jobs, running], results, null, []).active).toEqual([
      "kubectl-autoupdate-29926870",
      "kubectl-autoupdate-manual-q7x2k",
    ]);
  });

  it("ignores Jobs owned by another CronJob", () => {
    const stranger = structuredClone(job("kubectl-autoupdate-manual-lh9bp"));
    stranger.metadata.ownerReferences![0]!.uid = "another-uid";
    expect(cronStatus(cronJob, [stranger], results, null, []).jobs).toEqual([]);
  });

  it("renders a table with ages from the given clock", () => {
    expect(renderCronStatusTable(status, new Date("2026-11-25T13:12:09Z"))).toMatchInlineSnapshot(`
      "Name:          kubectl-autoupdate
      Namespace:     tools
      Schedule:      */10 * * * *
      Time zone:     Europe/Berlin
      Suspended:     false
      Scope:         namespace tools, pods matching app=web
      Resolver:      registry
      Image:         ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0
      Last schedule: 2026-11-25T13:10:00Z (2m9s ago)
      Last success:  2026-11-25T13:11:09Z (60s ago)
      Active:        kubectl-autoupdate-29926870
      Last warning:  <none>

      JOB                               TRIGGER    STATUS     STARTED    DURATION   RESULT
      kubectl-autoupdate-manual-8r8nt   manual     Failed     63s ago    3s         BackoffLimitExceeded: Job has reached the specified backoff limit
      kubectl-autoupdate-manual-lh9bp   manual     Complete   64s ago    4s         Nothing to restart: 0 stale, 0 unknown, 2 current (2 pods checked)
      kubectl-autoupdate-29926870       schedule   Pending    2m9s ago   2m9s       <none>
      "
    `);
  });

  it("no Jobs: none yet, or, once the CronJob has run, each removed a day after it finished (weekly: most days)", () => {
    const now = new Date("2026-11-25T13:12:09Z");
    const last = (table: string) => table.trimEnd().split("\n").at(-1);
    expect(last(renderCronStatusTable({ ...status, jobs: [], lastScheduleTime: null }, now))).toBe(
      "No jobs yet.",
    );
    expect(
      last(renderCronStatusTable({ ...status, jobs: [], lastScheduleTime: "2026-11-22T00:00:00Z" }, now)),
    ).toBe("No jobs: each is removed a day after it finished.");
  });

  it("a run's result is the cluster's text: the table shows it escaped, on its one row", () => {
    const said = "3 evicted\u001b[1A\u001b[2K\nerror: none";
    const [first, ...rest] = status.jobs;
    const table = renderCronStatusTable(
      { ...status, jobs: [{ ...first!, result: said }, ...rest] },
      new Date("2026-11-25T13:12:09Z"),
    );
    expect(table).toContain("3s         3 evicted^[[1A^[[2K\\nerror: none\n");
    expect(table).not.toMatch(/\u001b/);
  });

  it("the -o json|yaml document is versioned and lists every job", () => {
    const document = toCronStatusDocument(status);
    expect(document).toMatchObject({ apiVersion: "kubectl-autoupdate/v1", kind: "CronStatus" });
    expect(document.jobs[0]).toEqual({
      name: "kubectl-autoupdate-manual-8r8nt",
      trigger: "manual",
      status: "Failed",
      reason: "BackoffLimitExceeded: Job has reached the specified backoff limit",
      result: null,
      created: expect.any(String),
      started: expect.any(String),
      finished: expect.any(String),
    });
  });
});

/** The CronJob install-cron makes for installation nightly in ops. */
function installedCronJob(allNamespaces: boolean): CronJobObject {
  const objects = buildInstallObjects(
    installSpec({
      name: "nightly",
      namespace: "ops",
      allNamespaces,
      schedule: "@daily",
      image: "example.com/x:1",
    }),
  );
  return objects.find((o) => o.kind === "CronJob") as unknown as CronJobObject;
}

describe("cronStatus: the controllers held since a restart in vain", () => {
  const at = (iso: string) => Date.parse(iso);
  const remembered = (name: string, recorded: string, namespace = "shop") => ({
    namespace,
    controller: { kind: "ReplicaSet", name, uid: `uid-${name}` },
    restartedFor: "app=sha256:aaa>sha256:bbb",
    at: at(recorded),
  });
  const now = new Date("2026-11-25T13:12:09Z");
  const heldRow = (text: string) => text.split("\n").find((line) => line.startsWith("Held:"));

  it("the record install-cron names in the job's environment; none for an install made before it", () => {
    expect(recordRefOf(cronJob)).toBeNull();
    const installed = installedCronJob(true);
    expect(recordRefOf(installed)).toEqual({ namespace: "ops", name: "nightly" });
  });

  it("newest record first; the table names three and counts the rest, the document lists all", () => {
    const held = [
      remembered("a-1", "2026-11-25T10:00:00Z"),
      // A second move of a-1, older: one entry per controller, both moves named.
      { ...remembered("a-1", "2026-11-25T09:00:00Z"), restartedFor: "app=sha256:ccc>sha256:bbb" },
      remembered("b-2", "2026-11-25T13:00:00Z", "web"),
      remembered("c-3", "2026-11-24T13:00:00Z"),
      remembered("d-4", "2026-11-25T12:00:00Z"),
      remembered("e-5", "2026-11-20T13:00:00Z"),
    ];
    const status = cronStatus(cronJob, jobs, new Map(), held, []);
    expect((status.held as { name: string }[]).map((h) => h.name)).toEqual([
      "b-2",
      "d-4",
      "a-1",
      "c-3",
      "e-5",
    ]);
    expect(heldRow(renderCronStatusTable(status, now))).toBe(
      "Held:          ReplicaSet web/b-2 (recorded 12m ago), ReplicaSet shop/d-4 (recorded 72m ago), ReplicaSet shop/a-1 (recorded 3h12m ago) and 2 more",
    );
    expect(toCronStatusDocument(status).held![0]).toEqual({
      namespace: "web",
      kind: "ReplicaSet",
      name: "b-2",
      restartedFor: ["app=sha256:aaa>sha256:bbb"],
      recorded: "2026-11-25T13:00:00Z",
    });
    expect(toCronStatusDocument(status).held).toHaveLength(5);
    expect((status.held as object[])[2]).toMatchObject({
      name: "a-1",
      restartedFor: ["app=sha256:aaa>sha256:bbb", "app=sha256:ccc>sha256:bbb"],
      recorded: "2026-11-25T10:00:00Z",
    });
  });

  it("a restart in vain the runs have recorded again since is as old as its first record", () => {
    // Restarted 3 h ago; a run 10 minutes ago held its pods and stamped it again.
    const held = [
      { ...remembered("a-1", "2026-11-25T13:02:00Z"), firstAt: at("2026-11-25T10:12:00Z") },
      // Restarted 2 h ago, not stamped since: newer than a-1's restart, so named first.
      remembered("b-1", "2026-11-25T11:12:00Z"),
    ];
    const status = cronStatus(cronJob, jobs, new Map(), held, []);
    expect((status.held as { name: string }[]).map((h) => h.name)).toEqual(["b-1", "a-1"]);
    expect(heldRow(renderCronStatusTable(status, now))).toBe(
      "Held:          ReplicaSet shop/b-1 (recorded 120m ago), ReplicaSet shop/a-1 (recorded 3h ago)",
    );
    expect(toCronStatusDocument(status).held![1]).toMatchObject({ recorded: "2026-11-25T10:12:00Z" });
  });

  it("a restart whose replacement was not checked holds nothing until a run proves it in vain: not named", () => {
    // A replacement slow to come up (not Ready within --wait-timeout); a run proving it in vain records
    // it again as checked, which is named then.
    const unchecked = {
      ...remembered("a-1", "2026-11-24T14:00:00Z"),
      uncheckedRestartAt: at("2026-11-24T13:58:00Z"),
    };
    const status = cronStatus(
      cronJob,
      jobs,
      new Map(),
      [unchecked, remembered("b-1", "2026-11-25T11:12:00Z")],
      [],
    );
    expect(heldRow(renderCronStatusTable(status, now))).toBe(
      "Held:          ReplicaSet shop/b-1 (recorded 120m ago)",
    );
    const onlyUnchecked = cronStatus(cronJob, jobs, new Map(), [unchecked], []);
    expect(heldRow(renderCronStatusTable(onlyUnchecked, now))).toBe("Held:          <none>");
  });

  it("an empty record is <none>; one not readable <unknown>; an install keeping none has no row; null in the document for both", () => {
    expect(heldRow(renderCronStatusTable(cronStatus(cronJob, jobs, new Map(), [], []), now))).toBe(
      "Held:          <none>",
    );
    const unknown = cronStatus(cronJob, jobs, new Map(), "unknown", []);
    expect(heldRow(renderCronStatusTable(unknown, now))).toBe("Held:          <unknown>");
    expect(toCronStatusDocument(unknown).held).toBeNull();
    const none = cronStatus(cronJob, jobs, new Map(), null, []);
    expect(heldRow(renderCronStatusTable(none, now))).toBeUndefined();
    expect(toCronStatusDocument(none).held).toBeNull();
  });

  it("reads the tool's own container, wherever a sidecar added by hand puts it", () => {
    const installed = installedCronJob(false);
    const pod = installed.spec.jobTemplate.spec.template!.spec!;
    pod.containers = [{ name: "istio-proxy", image: "proxy:1", env: [] }, ...pod.containers!];
    expect(recordRefOf(installed)).toEqual({ namespace: "ops", name: "nightly" });
    expect(cronStatus(installed, [], new Map(), null, []).image).toBe("example.com/x:1");
  });
});

describe("turnOf: which of the CronJob's unfinished Jobs goes on", () => {
  const scheduled = job("kubectl-autoupdate-29926870"); // pending, 13:10:00
  const cronJobRef = { name: "kubectl-autoupdate", uid: cronJob.metadata.uid! };
  /** A copy of the scheduled Job, renamed, made at `created`, unfinished unless given a status. */
  const another = (name: string, created: string, status: JobObject["status"] = scheduled.status) => {
    const copy = structuredClone(scheduled);
    copy.metadata.name = name;
    copy.metadata.creationTimestamp = created;
    copy.status = status;
    return copy;
  };

  it("the oldest unfinished Job goes on; a later one gives way to it, whatever order they are listed in", () => {
    const later = another("kubectl-autoupdate-manual-aaaaa", "2026-11-25T13:12:00Z");
    expect(turnOf(scheduled.metadata.name, [later, ...jobs])).toEqual({ kind: "go" });
    expect(turnOf(later.metadata.name, [later, ...jobs])).toEqual({
      kind: "give-way",
      earlier: { name: scheduled.metadata.name, state: "Pending" },
      cronJob: cronJobRef,
    });
  });

  it("Jobs made in the same second cannot tell which came first: both give way", () => {
    const a = another("kubectl-autoupdate-manual-aaaaa", "2026-11-25T13:10:00Z");
    const turns = [a, scheduled].map((j) => turnOf(j.metadata.name, [scheduled, a]));
    expect(turns).toEqual([
      { kind: "give-way", earlier: { name: scheduled.metadata.name, state: "Pending" }, cronJob: cronJobRef },
      { kind: "give-way", earlier: { name: a.metadata.name, state: "Pending" }, cronJob: cronJobRef },
    ]);
  });

  it("a suspended earlier Job is named with its state", () => {
    const later = another("kubectl-autoupdate-manual-aaaaa", "2026-11-25T13:12:00Z");
    const suspended = structuredClone(scheduled);
    suspended.spec = { ...suspended.spec, suspend: true };
    expect(turnOf(later.metadata.name, [later, suspended])).toMatchObject({
      kind: "give-way",
      earlier: { name: scheduled.metadata.name, state: "Suspended" },
    });
  });

  it("finished Jobs and another CronJob's Jobs do not hold a run back", () => {
    const later = another("kubectl-autoupdate-manual-zzzzz", "2026-11-25T13:12:00Z");
    const done = jobs.filter((j) => jobOutcome(j).finished);
    expect(done).toHaveLength(2);
    expect(turnOf(later.metadata.name, [later, ...done])).toEqual({ kind: "go" });
    const foreign = structuredClone(scheduled);
    foreign.metadata.ownerReferences = [{ ...foreign.metadata.ownerReferences![0]!, uid: "another-uid" }];
    expect(turnOf(later.metadata.name, [later, foreign])).toEqual({ kind: "go" });
  });

  it("a Job not listed, or made by no CronJob, cannot tell: unknown, with why", () => {
    expect(turnOf("gone", jobs)).toEqual({
      kind: "unknown",
      why: "job gone is not among the namespace's Jobs",
    });
    const byHand = another("by-hand", "2026-11-25T13:12:00Z");
    byHand.metadata.ownerReferences = [];
    expect(turnOf("by-hand", [byHand, scheduled])).toEqual({
      kind: "unknown",
      why: "job by-hand belongs to no CronJob",
    });
  });
});

describe("applyChange", () => {
  it("tells created, configured and unchanged apart by resourceVersion", () => {
    expect(applyChange(undefined, "5")).toBe("created");
    expect(applyChange("5", "5")).toBe("unchanged");
    expect(applyChange("5", "9")).toBe("configured");
  });
});

describe("whyNoPod", () => {
  const failed = (message: string, time: Partial<WarningEvent>) => ({
    reason: "FailedCreate",
    message,
    ...time,
  });

  it("names the latest FailedCreate by time, whether an Event has whole seconds or microseconds", () => {
    const events = [
      failed("quota exceeded", { lastTimestamp: "2026-12-02T10:00:00Z" }),
      failed("denied by policy", { eventTime: "2026-12-02T10:00:00.500000Z" }),
      { reason: "SuccessfulCreate", lastTimestamp: "2026-12-02T10:00:01Z" },
    ];
    expect(whyNoPod(events)).toBe("FailedCreate: denied by policy");
    expect(whyNoPod(events.toReversed())).toBe("FailedCreate: denied by policy");
  });

  it("says nothing when the Job controller recorded no FailedCreate", () => {
    expect(whyNoPod([{ reason: "SuccessfulCreate", lastTimestamp: "2026-12-02T10:00:00Z" }])).toBeUndefined();
  });

  it("fills in the result of each run that made no pod, by its Job's UID; a run's own result stands", () => {
    const about = (uid: string, message: string, at: string) => ({
      ...failed(message, { lastTimestamp: at }),
      involvedObject: { uid },
    });
    const job = (uid: string, status: JobObject["status"] = {}): JobObject => ({
      metadata: { name: uid, uid },
      status,
    });
    const results = new Map([["ran", "0 restarted"]]);
    const merged = withCreateFailures(
      results,
      [
        about("never", "quota exceeded", "2026-12-02T10:00:00Z"),
        about("never", "denied by policy", "2026-12-02T10:05:00Z"),
        about("ran", "quota exceeded", "2026-12-02T09:00:00Z"),
        // Refused once (a quota still counting the last run's pod), then made: running, not refused.
        about("retried", "quota exceeded", "2026-12-02T10:00:00Z"),
        failed("of no Job", { lastTimestamp: "2026-12-02T10:00:00Z" }),
      ],
      [job("never"), job("ran", { succeeded: 1 }), job("retried", { active: 1, ready: 1 })],
    );
    expect([...merged]).toEqual([
      ["ran", "0 restarted"],
      ["never", "FailedCreate: denied by policy"],
    ]);
    expect(results.size).toBe(1);
  });
});

describe("cronStatus: what the CronJob controller last warned about", () => {
  const now = new Date("2026-11-25T13:12:09Z");
  const warningRow = (text: string) => text.split("\n").find((line) => line.startsWith("Last warning:"));
  const quota = {
    reason: "FailedCreate",
    message:
      'Error creating job: jobs.batch "kubectl-autoupdate-29926872" is forbidden: exceeded quota: jobs',
    lastTimestamp: "2026-11-25T13:12:00Z",
  };

  it("shows the latest Warning Event with its age, why a schedule made no Job", () => {
    const older = {
      reason: "MissSchedule",
      message: "Missed scheduled time",
      lastTimestamp: "2026-11-25T13:00:00Z",
    };
    const status = cronStatus(cronJob, jobs, new Map(), null, [quota, older]);
    expect(warningRow(renderCronStatusTable(status, now))).toBe(
      `Last warning:  FailedCreate (9s ago): ${quota.message}`,
    );
    expect(toCronStatusDocument(status).lastWarning).toEqual({
      reason: "FailedCreate",
      message: quota.message,
      time: "2026-11-25T13:12:00Z",
    });
  });

  it("not the UnexpectedJob the controller records for each Job run-now makes", () => {
    const manual = {
      reason: "UnexpectedJob",
      message: "Saw a job that the controller did not create or forgot: kubectl-autoupdate-manual-4vhpw",
      lastTimestamp: "2026-11-25T13:12:05Z",
    };
    expect(cronStatus(cronJob, jobs, new Map(), null, [quota, manual]).lastWarning).toMatchObject({
      reason: "FailedCreate",
    });
    expect(cronStatus(cronJob, jobs, new Map(), null, [manual]).lastWarning).toBeNull();
  });

  it("none is <none>; Events not readable <unknown>; null in the document for both", () => {
    const none = cronStatus(cronJob, jobs, new Map(), null, []);
    expect(warningRow(renderCronStatusTable(none, now))).toBe("Last warning:  <none>");
    expect(toCronStatusDocument(none).lastWarning).toBeNull();
    const unknown = cronStatus(cronJob, jobs, new Map(), null, "unknown");
    expect(warningRow(renderCronStatusTable(unknown, now))).toBe("Last warning:  <unknown>");
    expect(toCronStatusDocument(unknown).lastWarning).toBeNull();
  });
});
