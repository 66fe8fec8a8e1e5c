/**
 * The CronJob for real: the image `npm run image` builds (scripts/image.sh, with the run's Docker engine; it
 * makes the self-contained linux executable itself when dist/sea has none newer than the bundle) is pushed
 * by that engine to the lane's registry through the counting proxy (Docker takes 127.0.0.0/8 registries as
 * plain http), `install-cron --image` installs it, and a run the CronJob controller starts on schedule (every
 * minute) runs on the real node (kubelet v1.35.4 + containerd 2.2.9), which pulls that image, and rolls out a
 * Deployment whose tag moved. `run-now --wait` then prints its Job's log (nothing left to restart),
 * `cron-status` shows the scheduled and the manual run with what each said when it ended (the termination
 * message the kubelet kept), `uninstall-cron` removes it all.
 *
 * One change to what install-cron makes, by a `kubectl patch` of the installed (suspended) CronJob: the test
 * bed runs no kube-proxy, so the `kubernetes` Service's VIP that a pod's in-cluster config names
 * (KUBERNETES_SERVICE_HOST) leads nowhere from a pod's network namespace. The pod gets `hostNetwork: true`
 * and KUBERNETES_SERVICE_HOST/PORT naming the API server on the host's loopback (its serving certificate
 * names 127.0.0.1, test/testbed/start.sh); on the host's network it also reaches the registry's loopback
 * address, as the node's containerd does. A real cluster routes the VIP and needs none of this. The patch
 * also pins the pod to the real node, as every pod of the lane is.
 *
 * It is installed behind a proxy that is down (`--proxy` to a closed loopback port): all the job reaches is
 * on loopback, which no proxy serves, so the run must not notice it; the container's environment, read from
 * containerd, shows that the kubelet expanded NO_PROXY's `$(KUBERNETES_SERVICE_HOST)`.
 */
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../support/cli.js";
import {
  apply,
  kk,
  kubectl,
  patchCronJob,
  planJson,
  plugin,
  settledWorkloads,
  testbed,
  until,
} from "../../support/e2e.js";
import { docker, dockerEnv } from "../../support/images.js";
import { digestOf, settledPods, useRealNode } from "../../support/real-node.js";
import { deployment } from "../../support/workloads.js";
import type { Pushed } from "../../testbed/node-images.js";

const ns = "e2e-rn-cron";
const lane = useRealNode({ name: "rn-cronjob", namespaces: [ns] });

/** What scripts/image.sh tags (and its `-docker` variant), then the same image under the lane's registry. */
const built = `kau-test/kubectl-autoupdate:cron-${process.pid}`;
/** A closed loopback port: nothing the job needs may go through it. */
const deadProxy = "http://127.0.0.1:1";
const pushedTag = "e2e";
let image: string;
/** The digest the registry gave the pushed image: the Job's pod must run it. */
let imageDigest: string;
let v1: Pushed;
let v2: Pushed;
let before: Set<string>;

interface JobJson {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}
const jobs = async (): Promise<JobJson[]> =>
  (JSON.parse(await kk(["get", "jobs", "-n", ns, "-o", "json"])) as { items: JobJson[] }).items;
const finished = (job: JobJson, type: "Complete" | "Failed") =>
  job.status?.conditions?.some((c) => c.type === type && c.status === "True") === true;

/**
 * The one RunSummary line in a Job's log. `kubectl logs` merges the container's stdout (where the summary is
 * written last) with its stderr, and the runtime may put a stderr line written just before it after it.
 */
function runSummaryIn(log: string): Record<string, unknown> {
  const lines = log.split("\n").filter((line) => line.startsWith('{"kind":"RunSummary"'));
  expect(lines, log).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

/** The environment containerd started the kubectl-autoupdate container of the pod named `podPrefix`… with. */
function containerEnv(podPrefix: string): Record<string, string> {
  const crictl = (...args: string[]) =>
    JSON.parse(
      execFileSync(`${lane.node.bin}/crictl`, ["--config", lane.node.crictlConfig, ...args], {
        encoding: "utf8",
      }),
    );
  const { containers } = crictl("ps", "-a", "--name", "^kubectl-autoupdate$", "-o", "json") as {
    containers: { id: string; labels: Record<string, string> }[];
  };
  const ours = containers.filter((c) => c.labels["io.kubernetes.pod.name"]?.startsWith(podPrefix));
  expect(ours).toHaveLength(1);
  const inspected = crictl("inspect", ours[0]!.id) as {
    info: { config: { envs: { key: string; value: string }[] } };
  };
  return Object.fromEntries(inspected.info.config.envs.map((e) => [e.key, e.value]));
}

/** scripts/image.sh with the run's engine: its stdout (the two tags), or its stderr's tail in the error. */
function buildImage(): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      join(repoRoot, "scripts", "image.sh"),
      ["--tag", built],
      // From cached parts (test/ci.sh fetches them): tests fetch nothing from outside this machine.
      {
        cwd: repoRoot,
        env: dockerEnv({ KUBECTL_AUTOUPDATE_OFFLINE: "1" }),
        maxBuffer: 64 * 1024 * 1024,
        timeout: 1_200_000,
      },
      (error, stdout, stderr) =>
        error
          ? fail(new Error(`scripts/image.sh failed: ${error.message}\n${stderr.slice(-4000)}`))
          : done(stdout),
    );
  });
}

beforeAll(async () => {
  const t0 = Date.now();
  expect((await buildImage()).trim().split("\n")).toEqual([built, `${built}-docker`]);
  image = lane.ref("kubectl-autoupdate", pushedTag);
  await docker(["tag", built, image]);
  await docker(["push", "--quiet", image]);
  const repoDigests = JSON.parse(
    await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", image]),
  ) as string[];
  imageDigest = digestOf(repoDigests.find((d) => d.startsWith(`${lane.proxy.host}/`))!);
  console.error(`cronjob: image built and pushed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  v1 = await lane.images.image("web", "web v1", { tag: "live" });
  await apply(
    deployment("web", ns, 2, {
      image: lane.ref("web", "live"),
      pullPolicy: "Always",
      terminationGracePeriodSeconds: 1,
      ...lane.onNode,
    }),
  );
  const pods = await settledPods(ns, "app=web", 2, (p) => digestOf(p.imageID) === v1.digest);
  await settledWorkloads(ns);
  before = new Set(pods.map((p) => p.uid));
}, 1_500_000);

afterAll(async () => {
  const tags = image ? [built, `${built}-docker`, image] : [built, `${built}-docker`];
  await docker(["rmi", ...tags]).catch((error: Error) => {
    console.error(`cronjob: could not remove the built images: ${error.message}`);
  });
});

describe("install-cron with the built image; a scheduled run on the real node", () => {
  it("the tag moves: the Deployment's pods are stale", async () => {
    v2 = await lane.images.image("web", "web v2", { tag: "live" });
    const doc = await planJson(["-n", ns, "--resolver", "registry"]);
    expect(doc.pods.map((p) => [p.action, p.containers[0]?.status, p.containers[0]?.latestDigest])).toEqual([
      ["delete", "stale", v2.digest],
      ["delete", "stale", v2.digest],
    ]);
  });

  it("install-cron --image installs the CronJob; the test points its pods at the API server's loopback address", async () => {
    const installed = await plugin([
      "install-cron",
      "-n",
      ns,
      "--image",
      image,
      "--schedule",
      "* * * * *",
      // A proxy that is down: the run must not need it. The registry and the API server are on loopback
      // here, which no proxy ever serves; the kubelet's expansion of NO_PROXY is checked after the run.
      "--proxy",
      deadProxy,
      "--proxy-bypass",
      ".corp.example",
      // Suspended until the patch below, so no run starts with the pod template a kube-proxy would need.
      "--suspend",
    ]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain("cronjob.batch/kubectl-autoupdate created");
    const api = new URL(testbed().apiserver);
    const patch = {
      spec: {
        suspend: false,
        jobTemplate: {
          spec: {
            template: {
              spec: {
                hostNetwork: true,
                ...lane.onNode,
                containers: [
                  {
                    name: "kubectl-autoupdate",
                    env: [
                      { name: "KUBERNETES_SERVICE_HOST", value: api.hostname },
                      { name: "KUBERNETES_SERVICE_PORT", value: api.port },
                    ],
                  },
                ],
              },
            },
          },
        },
      },
    };
    await kk([
      "patch",
      "cronjob",
      "kubectl-autoupdate",
      "-n",
      ns,
      "--type",
      "strategic",
      "-p",
      JSON.stringify(patch),
    ]);
    const cron = JSON.parse(await kk(["get", "cronjob", "kubectl-autoupdate", "-n", ns, "-o", "json"]));
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].image).toBe(image);
    expect(pod.containers[0].command.slice(0, 3)).toEqual(["kubectl-autoupdate", "apply", "--yes"]);
    expect(pod.containers[0].env).toContainEqual({ name: "HOME", value: "/tmp" });
  });

  it("on schedule, the CronJob's Job runs the image on the real node and rolls the Deployment out", async () => {
    const job = await until(
      "a scheduled Job to finish",
      async () => {
        const scheduled = (await jobs()).find(
          (j) => j.metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"] !== undefined,
        );
        return scheduled && (finished(scheduled, "Complete") || finished(scheduled, "Failed"))
          ? scheduled
          : undefined;
      },
      180_000,
    ).catch(async (error: Error) => {
      // What kept it: the Jobs' pods as the kubelet reports them, and the namespace's events.
      const pods = await kubectl(["get", "pods", "-n", ns, "-o", "wide"]);
      const events = await kubectl(["get", "events", "-n", ns, "--sort-by=.lastTimestamp"]);
      throw new Error(`${error.message}\n${pods.stdout}\n${events.stdout}`);
    });
    const log = await kubectl(["logs", "-n", ns, `job/${job.metadata.name}`]);
    console.error(`the scheduled run's log:\n${log.stdout}${log.stderr}`);
    expect(finished(job, "Complete"), log.stdout).toBe(true);

    const pods = JSON.parse(
      await kk([
        "get",
        "pods",
        "-n",
        ns,
        "-l",
        `batch.kubernetes.io/job-name=${job.metadata.name}`,
        "-o",
        "json",
      ]),
    ) as {
      items: {
        spec: { nodeName: string };
        status: {
          phase: string;
          containerStatuses: { imageID: string; state: { terminated?: { message?: string } } }[];
        };
      }[];
    };
    expect(pods.items).toHaveLength(1);
    const ran = pods.items[0]!;
    expect(ran.spec.nodeName).toBe(lane.node.name);
    expect(ran.status.phase).toBe("Succeeded");
    // The image the kubelet pulled for it is the one built and pushed above.
    expect(ran.status.containerStatuses[0]!.imageID).toBe(lane.ref("kubectl-autoupdate", imageDigest));
    // Its one-line result, written to the termination message file the kubelet mounted: what
    // cron-status shows.
    expect(ran.status.containerStatuses[0]!.state.terminated?.message).toMatch(
      /^2 replaced by rollout \(of 2 planned\); 2 stale \(2 to restart in 1 namespace, 0 skipped\), 0 unknown, \d+ current, \d+ opted out \(\d+ pods checked\)\n$/,
    );

    expect(log.stdout).toContain(`deployment.apps ${ns}/web restarted (rollout): 2 pods replaced\n`);
    const summary = runSummaryIn(log.stdout);
    expect(summary).toMatchObject({
      kind: "RunSummary",
      resolver: "registry",
      strategy: "auto",
      dryRun: false,
      rolledOut: 2,
      failed: 0,
      notReplaced: 0,
      // Its own pod (labelled to be left alone) is not a container that could not be checked.
      unknown: 0,
    });
    expect(summary.optedOut).toBeGreaterThanOrEqual(1);
    expect(log.stdout).not.toContain("could not be checked");

    // The container's environment as the kubelet gave it to containerd: NO_PROXY's $(KUBERNETES_SERVICE_HOST)
    // expanded to the API server's address (the `kubernetes` Service's, or the one the patch set, whichever
    // the kubelet had when it came to NO_PROXY).
    const env = containerEnv(`${job.metadata.name}-`);
    expect(env["HTTPS_PROXY"]).toBe(deadProxy);
    expect(env["HTTP_PROXY"]).toBe(deadProxy);
    // The downward API named its own Job, so it could tell whether an earlier run was in progress.
    expect(env["KUBECTL_AUTOUPDATE_JOB"]).toBe(job.metadata.name);
    expect(env["KUBECTL_AUTOUPDATE_JOB_NAMESPACE"]).toBe(ns);
    expect(log.stdout).not.toContain("cannot tell whether another run");
    console.error(`cronjob: the job's NO_PROXY as containerd got it: ${env["NO_PROXY"]}`);
    const service = JSON.parse(await kk(["get", "service", "kubernetes", "-n", "default", "-o", "json"]));
    expect([
      `.corp.example,${service.spec.clusterIP}`,
      `.corp.example,${env["KUBERNETES_SERVICE_HOST"]}`,
    ]).toContain(env["NO_PROXY"]);
    const after = await settledPods(ns, "app=web", 2, (p) => digestOf(p.imageID) === v2.digest);
    for (const p of after) expect(before.has(p.uid), p.name).toBe(false);
  }, 240_000);

  it("run-now --wait shows its Job's log: nothing left to restart", async () => {
    // Paused, so that no scheduled run is in progress when run-now asks (it would refuse) nor starts
    // alongside it; run-now works while the CronJob is suspended.
    const suspend = (value: boolean) => patchCronJob(ns, { spec: { suspend: value } });
    await suspend(true);
    await until("no scheduled run in progress", async () =>
      (await jobs()).every((j) => finished(j, "Complete") || finished(j, "Failed")) ? true : undefined,
    );
    const result = await plugin(["run-now", "-n", ns, "--wait", "--timeout=3m"]);
    await suspend(false);
    expect(result.code, result.stderr).toBe(0);
    // Ended with what the run said of itself, from its termination message.
    expect(result.stderr).toMatch(
      /^job\.batch\/kubectl-autoupdate-manual-[a-z0-9]{5} complete: Nothing to restart: /m,
    );
    expect(result.stdout).toContain("Nothing to restart.\n");
    const summary = runSummaryIn(result.stdout);
    expect(summary).toMatchObject({ kind: "RunSummary", rolledOut: 0, evicted: 0, deleted: 0, failed: 0 });
    const doc = await planJson(["-n", ns, "--resolver", "registry", "-l", "app=web"]);
    expect(doc.pods.map((p) => [p.action, p.containers[0]?.status])).toEqual([
      ["none", "current"],
      ["none", "current"],
    ]);
  }, 240_000);

  it("cron-status shows the scheduled and the manual run", async () => {
    const result = await plugin(["cron-status", "-n", ns, "-o", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({
      kind: "CronStatus",
      schedule: "* * * * *",
      suspended: false,
      image,
      resolver: "registry",
    });
    expect(status.lastScheduleTime).toEqual(expect.any(String));
    expect(status.lastSuccessfulTime).toEqual(expect.any(String));
    const jobs = status.jobs as { trigger: string; status: string; result: string | null }[];
    const runs = jobs.map((j) => `${j.trigger}/${j.status}`);
    expect(runs).toContain("schedule/Complete");
    expect(runs).toContain("manual/Complete");
    // Each finished run with what it said: the first rolled web out, later ones found nothing or gave way.
    for (const job of jobs.filter((j) => j.status === "Complete")) {
      expect(job.result).toMatch(
        /^(2 replaced by rollout \(of 2 planned\); |Nothing to restart: |gave way: job )/,
      );
    }
    expect(jobs.find((j) => j.trigger === "manual")?.result).toMatch(/^Nothing to restart: 0 stale, /);
    const table = await plugin(["cron-status", "-n", ns]);
    expect(table.stdout).toMatch(/^Last success:\s+\d{4}-\d\d-\d\dT/m);
    expect(table.stdout).toMatch(
      /^kubectl-autoupdate-manual-[a-z0-9]{5}\s+manual\s+Complete\s.*\sNothing to restart: 0 stale, /m,
    );
  });

  it("uninstall-cron removes the CronJob, its Jobs and their pods", async () => {
    const result = await plugin(["uninstall-cron", "-n", ns]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("cronjob.batch/kubectl-autoupdate deleted");
    await until(
      "the installation's objects to go",
      async () =>
        (
          await kk([
            "get",
            "cronjobs,jobs,pods,serviceaccounts,roles,rolebindings",
            "-n",
            ns,
            "-l",
            "app.kubernetes.io/instance=kubectl-autoupdate",
            "-o",
            "name",
          ])
        ).trim() === ""
          ? true
          : undefined,
      120_000,
    );
  });
});
