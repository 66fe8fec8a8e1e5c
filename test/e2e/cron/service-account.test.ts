/**
 * The calls the CronJob's pod makes, run with its ServiceAccount's token against the real API server
 * (test/testbed), as installed by default (--strategy auto): plan and apply meet no refusal, each call a
 * restart makes (eviction, the workloads' reads and restartedAt patch) is allowed and a deletion is not, and
 * the rules granted are exactly the requests made. (Each strategy's real runs: rbac-by-strategy.test.ts.)
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createExec } from "../../../src/adapters/exec.js";
import { JsonListStream, leadingObjectName } from "../../../src/adapters/json-list-stream.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";
import { workloadShape } from "../../../src/adapters/slim-objects.js";
import { type RequestRecorder, recordingKubectl } from "../../support/api-requests.js";
import { runMain } from "../../support/cli.js";
import { cli, json, needed, selector, useCronCluster } from "../../support/cron-cluster.js";
import {
  kk,
  kubectlPath,
  patchCronJob,
  kubectl as testbedKubectl,
  tokenKubeconfig,
  until,
} from "../../support/e2e.js";
import { fakeBin } from "../../support/fake-kubectl.js";

const cluster = useCronCluster();
/**
 * An engine that answers but reaches no registry: every image resolves to unknown, apply restarts nothing.
 */
const fakeDocker = join(fakeBin, "docker-no-registry");

beforeAll(async () => {
  await cluster.namespace("t1");
  expect((await cli("install-cron", "-n", "t1")).code).toBe(0);
});

describe("the job's own calls, as its ServiceAccount (token, as in-cluster)", () => {
  let saKubeconfig: string;
  let recorder: RequestRecorder;
  const secret = (name: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name },
    type: "kubernetes.io/dockerconfigjson",
    data: {
      ".dockerconfigjson": Buffer.from('{"auths":{"127.0.0.1:1":{"auth":"dTpw"}}}').toString("base64"),
    },
  });

  beforeAll(async () => {
    recorder = recordingKubectl(kubectlPath());
    const token = (await kk(["create", "token", "kubectl-autoupdate", "-n", "t1", "--duration=1h"])).trim();
    saKubeconfig = tokenKubeconfig("kubectl-autoupdate", "t1", token);
    // Workloads of every owner kind apply reads, pull secrets on pods and on a ServiceAccount.
    await kk(
      ["apply", "-n", "t1", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [secret("pull-a"), secret("pull-b")] }),
    );
    await kk(["create", "serviceaccount", "builder", "-n", "t1"]);
    await kk([
      "patch",
      "serviceaccount",
      "builder",
      "-n",
      "t1",
      "-p",
      '{"imagePullSecrets":[{"name":"pull-b"}]}',
    ]);
    const podSpec = (sa?: string) => ({
      ...(sa ? { serviceAccountName: sa } : { imagePullSecrets: [{ name: "pull-a" }, { name: "missing" }] }),
      containers: [{ name: "app", image: "127.0.0.1:1/team/app:main", imagePullPolicy: "Always" }],
    });
    const template = (app: string, sa?: string) => ({ metadata: { labels: { app } }, spec: podSpec(sa) });
    const workloads = [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: template("web") },
      },
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "db" },
        spec: {
          replicas: 1,
          serviceName: "db",
          selector: { matchLabels: { app: "db" } },
          template: template("db", "builder"),
        },
      },
      // No node runs it here: an object to read and patch, with no pods.
      {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name: "agent" },
        spec: { selector: { matchLabels: { app: "agent" } }, template: template("agent") },
      },
      {
        apiVersion: "v1",
        kind: "ReplicationController",
        metadata: { name: "legacy" },
        spec: { replicas: 1, selector: { app: "legacy" }, template: template("legacy") },
      },
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "once" },
        spec: { template: { ...template("once"), spec: { ...podSpec(), restartPolicy: "Never" } } },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "bare", labels: { app: "bare" } },
        spec: podSpec("builder"),
      },
    ];
    await kk(
      ["apply", "-n", "t1", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: workloads }),
    );
    await until("the workloads' pods", async () => {
      const pods = await json(["get", "pods", "-n", "t1", "-l", "app in (web,db,legacy,once,bare)"]);
      return pods.items.length >= 6 ? true : undefined;
    });
  }, 120_000);

  it("plan and apply --yes run as the ServiceAccount without any refusal", async () => {
    const args = [
      `--kubeconfig=${saKubeconfig}`,
      `--kubectl=${recorder.path}`,
      "--namespace=t1",
      "--resolver=docker",
      `--docker=${fakeDocker}`,
      "--color=never",
    ];
    const plan = await runMain(["plan", ...args, "-o", "json"]);
    expect(plan.stderr).not.toMatch(/forbidden|cannot (get|list|delete)/i);
    expect(plan.code).toBe(0);
    const document = JSON.parse(plan.stdout);
    // (A scheduled run of t1's CronJob may have left a pod too: owned via a Job by the CronJob.)
    const owners = document.pods
      .map((p: { owner: { kind: string } | null }) => p.owner?.kind ?? "none")
      .filter((kind: string) => kind !== "CronJob")
      .sort();
    expect(owners).toEqual([
      "Deployment",
      "Deployment",
      "Job",
      "ReplicationController",
      "StatefulSet",
      "none",
    ]);
    const apply = await runMain(["apply", "--yes", "--summary-json", ...args]);
    expect(apply.stderr).not.toMatch(/forbidden|cannot (get|list|delete)/i);
    expect(apply.code).toBe(0);
    expect(apply.stdout.trim().split("\n").at(-1)).toMatch(/^\{"kind":"RunSummary"/);
  });

  it("every other call apply makes is allowed: owners by name, pods by selector and their watch, eviction (dry run and real), a rollout's reads and patch, an Event", async () => {
    const kubectl = new Kubectl(createExec(), recorder.path, { kubeconfig: saKubeconfig });
    expect((await kubectl.getSecrets("t1", ["pull-a", "missing"])).map((s) => s.metadata.name)).toEqual([
      "pull-a",
    ]);
    const accounts = await kubectl.listServiceAccounts({ namespace: "t1", allNamespaces: false });
    expect(accounts.find((sa) => sa.metadata.name === "builder")?.imagePullSecrets).toEqual([
      { name: "pull-b" },
    ]);
    const rs = (
      await kubectl.listObjects(["replicasets.apps", "jobs.batch"], { namespace: "t1", allNamespaces: false })
    ).filter((o) => o.kind === "ReplicaSet");
    expect(rs).toHaveLength(1);
    for (const [resource, name] of [
      ["replicasets.apps", rs[0]!.metadata.name],
      ["statefulsets.apps", "db"],
      ["daemonsets.apps", "absent"],
      ["replicationcontrollers", "legacy"],
    ] as const) {
      await expect(kubectl.getObject(resource, name, "t1")).resolves.toSatisfy((o) =>
        name === "absent" ? o === null : o !== null,
      );
    }
    expect(await kubectl.listDisruptionBudgets("t1")).toEqual([]);
    let listedAt = "";
    const web = await kubectl.listPodsBySelector("t1", "app=web", (version) => {
      listedAt = version;
    });
    expect(web).toHaveLength(2);
    // While they go one at a time: a watch of them from that list (the API server ends it after a second).
    const query = { namespace: "t1", labelSelector: "app=web", resourceVersion: listedAt, timeoutSeconds: 1 };
    const watched = await kubectl.watchPodsBySelector(query, () => {}, new AbortController().signal);
    expect(watched).toEqual({ kind: "closed" });
    // A rollout's check of a Deployment's own pods: its ReplicaSets, by its selector.
    expect((await kubectl.listReplicaSets("t1", "app=web")).map((o) => o.metadata.name)).toEqual([
      rs[0]!.metadata.name,
    ]);
    const victim = web[0]!;
    // A rollout's calls: one list per kind, a get, the restartedAt patch (as server dry runs).
    for (const [kind, name] of [
      ["Deployment", "web"],
      ["StatefulSet", "db"],
      ["DaemonSet", "agent"],
    ] as const) {
      const scope = { namespace: "t1", allNamespaces: false };
      const listed = await kubectl.listWorkloads(kind, scope, new Set([`t1/${name}`]));
      expect(listed.map((w) => w.metadata.name)).toEqual([name]);
      expect(await kubectl.listWorkloads(kind, scope, new Set(["t1/another"]))).toEqual([]);
      // Known unparsed by the start of its text, as the API server writes it (cut to what is read).
      const texts: string[] = [];
      const stream = new JsonListStream((text) => texts.push(text), undefined, workloadShape);
      stream.write(await kk(["get", "--raw", `/apis/apps/v1/namespaces/t1/${kind.toLowerCase()}s`]));
      stream.end();
      expect(texts.map(leadingObjectName)).toEqual([`t1/${name}`]);
      const workload = await kubectl.getWorkload(kind, "t1", name);
      expect(workload?.metadata.name).toBe(name);
      const patched = await kubectl.patchRestartedAt(
        kind,
        "t1",
        name,
        workload!.metadata.resourceVersion!,
        { restartedAt: "2026-11-30T12:00:00Z", restartedFor: `app=sha256:${"0".repeat(64)}` },
        true,
      );
      expect(patched.kind, kind).toBe("patched");
    }
    // The eviction after the patches: the replacement pod makes the controllers write status, and a patch
    // carrying the resourceVersion read before that would conflict.
    expect(await kubectl.evictPod("t1", victim.metadata.name, victim.metadata.uid!, true)).toEqual({
      kind: "evicted",
    });
    expect(await kubectl.evictPod("t1", victim.metadata.name, victim.metadata.uid!, false)).toEqual({
      kind: "evicted",
    });
    // The Event recorded after each restart.
    expect(
      await kubectl.createEvent({
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { generateName: "web.autoupdate-", namespace: "t1" },
        eventTime: "2026-11-30T12:00:00.000000Z",
        reportingController: "kubectl-autoupdate",
        reportingInstance: "service-account-test",
        action: "Rollout",
        reason: "ImageUpdated",
        type: "Normal",
        regarding: { apiVersion: "apps/v1", kind: "Deployment", namespace: "t1", name: "web" },
        note: "a test of the ServiceAccount's rules",
      }),
    ).toEqual({ ok: true, createdAt: expect.any(Number) });
    // Before pods go one at a time: this tool's Events, for restarts in vain (that one records none).
    expect(await kubectl.listRememberedRestarts({ namespace: "t1", allNamespaces: false })).toEqual([]);
    // …but nothing beyond: no deletion (that is --strategy delete's), no secret listing, no scaling.
    const other = web[1]!;
    expect(await kubectl.deletePod("t1", other.metadata.name, other.metadata.uid!, false)).toEqual({
      kind: "failed",
      reason: expect.stringMatching(/^Error from server \(Forbidden\): .*cannot delete resource "pods"/),
    });
    const refused = await testbedKubectl([`--kubeconfig=${saKubeconfig}`, "get", "secrets", "-n", "t1"]);
    expect(refused.stderr).toContain("Forbidden");
    const scale = await testbedKubectl([
      `--kubeconfig=${saKubeconfig}`,
      "scale",
      "deployment/web",
      "--replicas=3",
      "-n",
      "t1",
    ]);
    expect(scale.stderr).toContain('cannot patch resource "deployments/scale"');
  });

  it("two Jobs of the CronJob at once (run-now beside a scheduled run): the later gives way, the earlier goes on", async () => {
    // No scheduled run may come between (t1's CronJob runs every 10 minutes, and without a kubelet its Jobs
    // never end): suspended, and the Jobs it made so far gone.
    const suspend = (value: boolean) => patchCronJob("t1", { spec: { suspend: value } });
    await suspend(true);
    await kk(["delete", "jobs", "-n", "t1", "-l", selector, "--cascade=foreground"]);
    // Named against their order, so the creation time decides, not the name. No kubelet: both stay unstarted.
    await kk(["create", "job", "run-b", "--from=cronjob/kubectl-autoupdate", "-n", "t1"]);
    // Creation times are to the second: run-a is made again until it is a second later than run-b.
    const createdAt = async (job: string) =>
      (await json(["get", "job", job, "-n", "t1"])).metadata.creationTimestamp as string;
    const first = await createdAt("run-b");
    await until("run-a made a second after run-b", async () => {
      await kk(["create", "job", "run-a", "--from=cronjob/kubectl-autoupdate", "-n", "t1"]);
      if ((await createdAt("run-a")) > first) return true;
      await kk(["delete", "job", "run-a", "-n", "t1", "--wait=true"]);
      return undefined;
    });
    const asJob = (name: string) =>
      runMain(
        [
          "apply",
          "--yes",
          "--summary-json",
          `--kubeconfig=${saKubeconfig}`,
          `--kubectl=${recorder.path}`,
          "--namespace=t1",
          "--resolver=docker",
          `--docker=${fakeDocker}`,
        ],
        // What the downward API gives the job's container (install-cron's env).
        { env: { KUBECTL_AUTOUPDATE_JOB: name, KUBECTL_AUTOUPDATE_JOB_NAMESPACE: "t1" } },
      );
    try {
      const later = await asJob("run-a");
      expect(later.code, later.stderr).toBe(0);
      expect(later.stderr).toBe(
        "job run-b of cronjob/kubectl-autoupdate has not started yet: this run restarts nothing (one run at a time)\n",
      );
      expect(JSON.parse(later.stdout)).toEqual({
        kind: "RunSkipped",
        cronJob: "kubectl-autoupdate",
        gaveWayTo: { job: "run-b", state: "Pending" },
      });
      // The skip is on record where `kubectl describe cronjob` shows it, created with the job's own rights.
      const events = await json([
        "get",
        "events.events.k8s.io",
        "-n",
        "t1",
        "--field-selector=reason=RunSkipped,regarding.kind=CronJob",
      ]);
      expect(events.items.map((e: { note: string; type: string }) => `${e.type} ${e.note}`)).toEqual([
        "Normal job run-b of cronjob/kubectl-autoupdate has not started yet: this run restarts nothing (one run at a time)",
      ]);
      const earlier = await asJob("run-b");
      expect(earlier.code, earlier.stderr).toBe(0);
      expect(earlier.stderr).not.toMatch(/restarts nothing|Warning|forbidden/);
      expect(earlier.stdout.trim().split("\n").at(-1)).toMatch(/^\{"kind":"RunSummary"/);
    } finally {
      await kk(["delete", "job", "run-a", "run-b", "-n", "t1", "--wait=false"]);
      await suspend(false);
    }
  });

  it("the rules granted are exactly the requests those runs made: none missing, none unused", () => {
    expect(recorder.requests("allowed")).toEqual(needed);
    // kubectl's own: a named get that finds nothing checks that the namespace exists, and takes no for an
    // answer; and the deletion tried above.
    expect(recorder.requests("refused")).toEqual(["/namespaces:get", "/pods:delete"]);
  });
});
