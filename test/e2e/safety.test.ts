/**
 * apply must not take a workload down:
 * - a tag moved to an index with no image for the nodes' platform is not "stale": nothing is restarted;
 * - when the new image cannot be pulled after all (a registry failing mid-rollout), the default rollout
 *   surges a new pod that cannot start and every old pod keeps serving the old digest, even the only
 *   replica; apply stops at its wait timeout and says so. One at a time (--strategy evict), apply evicts
 *   one pod, stops at the wait timeout, and the other replicas keep serving;
 * - under --strategy delete (a DELETE bypasses budgets, so apply checks them itself), a
 *   PodDisruptionBudget that allows no disruption stops apply before any deletion.
 *   (test/e2e/strategies/budgets.test.ts: the Eviction API enforcing them.)
 * - a ReplicaSet short of pods it cannot make (Pod Security admission refusing them) has none of its
 *   Ready pods evicted;
 * - a Deployment scaled down while an evicted pod's replacement is still unscheduled: the replacement the
 *   scale-down deleted is not waited for, and the other pods go on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, kk, planJson, plugin, settledWorkloads, until, useCluster } from "../support/e2e.js";
import { docker, pushImage } from "../support/images.js";
import { anonymous } from "../support/registry/distribution.js";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.js";
import { deployment } from "../support/workloads.js";

const ns = "e2e-safety";
const cluster = useCluster({
  nodes: [
    { name: "safe-a", runtime: "containerd" },
    { name: "safe-b", runtime: "cri-o" },
  ],
  registries: [anonymous],
  namespaces: [ns],
});
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy(cluster.registry.host);
});

afterAll(async () => {
  await proxy?.stop();
});

/** Moves `reference` to an index whose only image is linux/arm64; returns the index digest. */
async function pushArm64OnlyIndex(reference: string): Promise<string> {
  const arm = `${reference}-arm64`;
  await pushImage(arm, "safety v2 arm64 only", { platform: "linux/arm64" });
  await docker(["manifest", "rm", reference]).catch(() => "");
  await docker(["manifest", "create", "--insecure", reference, arm]);
  await docker(["manifest", "annotate", reference, arm, "--os", "linux", "--arch", "arm64"]);
  const out = await docker(["manifest", "push", "--purge", "--insecure", reference]);
  const digest = /(sha256:[a-f0-9]{64})/.exec(out)?.[1];
  if (!digest) throw new Error(`docker manifest push printed no digest:\n${out}`);
  return digest;
}

/** Each pod of an app as `Running <digest>` or `<phase> <waiting reason>`. */
async function states(app: string): Promise<string[]> {
  const pods = JSON.parse(await kk(["get", "pods", "-n", ns, "-l", `app=${app}`, "-o", "json"])).items as {
    status: {
      phase: string;
      containerStatuses?: { imageID: string; state: Record<string, { reason?: string }> }[];
    };
  }[];
  return pods.map((p) => {
    const s = p.status.containerStatuses?.[0];
    return s?.imageID
      ? `Running ${s.imageID.split("@")[1]}`
      : `${p.status.phase} ${s?.state["waiting"]?.reason}`;
  });
}

const stuckPulling = (state: string) => /^Pending (ErrImagePull|ImagePullBackOff)$/.test(state);

/**
 * The app's pod states once one of them is stuck pulling: on a busy machine the simulated kubelet may try its
 * pull only after apply gave up.
 */
const statesWithOneStuck = (app: string) =>
  until(`a pod of ${app} stuck pulling`, async () => {
    const now = await states(app);
    return now.some(stuckPulling) ? now : undefined;
  });

describe("a tag moved to an index with no image for the nodes' platform", () => {
  let v1: string;
  beforeAll(async () => {
    const image = `${cluster.registry.host}/arch:latest`;
    v1 = await pushImage(image, "safety v1 amd64");
    await apply(deployment("arch", ns, 3, { image }));
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=arch", count: 3, digest: v1 });
    await pushArm64OnlyIndex(image);
  });

  it("--resolver registry reads the running manifest's platform: unknown, not stale", async () => {
    const doc = await planJson(["-n", ns, "-l", "app=arch", "--resolver", "registry"]);
    expect(doc.pods).toHaveLength(3);
    for (const pod of doc.pods) {
      expect(pod.action).toBe("none");
      expect(pod.containers[0]).toMatchObject({
        status: "unknown",
        runningDigest: v1,
        reason: "the tag no longer has an image for linux/amd64",
      });
    }
  });

  it("--resolver docker cannot pull it on this amd64 engine: unknown too", async () => {
    const doc = await planJson(["-n", ns, "-l", "app=arch", "--resolver", "docker"]);
    expect(doc.pods).toHaveLength(3);
    for (const pod of doc.pods) {
      expect(pod.action).toBe("none");
      expect(pod.containers[0]).toMatchObject({
        status: "unknown",
        reason: expect.stringMatching(/pull failed/),
      });
    }
  });

  it("apply restarts nothing and says so", async () => {
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=arch", "--resolver", "registry"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Nothing to restart.");
    expect(await states("arch")).toEqual([`Running ${v1}`, `Running ${v1}`, `Running ${v1}`]);
  });
});

describe("the registry fails the nodes' pulls in the middle of apply", () => {
  /** A Deployment on v1 whose image the nodes pull through the proxy, the tag moved, the pulls failing. */
  async function failingPulls(app: string, replicas: number) {
    // Pods name the image through the proxy; the tool asks by HEAD, the simulated kubelets pull by GET.
    const image = `${proxy.host}/${app}:latest`;
    const v1 = await pushImage(`${cluster.registry.host}/${app}:latest`, `${app} v1`);
    await apply(deployment(app, ns, replicas, { image }));
    const pods = await cluster.sim.waitForPods({
      namespace: ns,
      selector: `app=${app}`,
      count: replicas,
      digest: v1,
    });
    await settledWorkloads(ns, `app=${app}`);
    await pushImage(`${cluster.registry.host}/${app}:latest`, `${app} v2`);
    // Only the pull of the tag fails: the tool's own reads by digest, whose failure would leave the pods
    // unknown and not restarted, still answer.
    proxy.rules.push({
      method: "GET",
      path: new RegExp(`/${app}/manifests/latest$`),
      fault: { kind: "status", status: 503 },
    });
    return { v1, pods };
  }
  const applyTo = (app: string, waitTimeout: string, ...more: string[]) =>
    plugin([
      "apply",
      "--yes",
      "-n",
      ns,
      "-l",
      `app=${app}`,
      "--resolver",
      "registry",
      "--wait-timeout",
      waitTimeout,
      ...more,
    ]);

  it("the rollout's new pod cannot pull: all three old pods keep serving v1, apply stops at the wait timeout", async () => {
    const { v1, pods } = await failingPulls("outage", 3);
    const result = await applyTo("outage", "6s");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^deployment\\.apps ${ns}/outage restarted \\(rollout\\), but: the rollout did not finish within the wait timeout \\(\\d+ of 3 new replicas updated\\) \\(outage-\\S+'s app (ErrImagePull|ImagePullBackOff)\\)$`,
        "m",
      ),
    );
    // None replaced: the controller is still trying to start the new pod.
    expect(result.stdout).toContain(
      "0 replaced by rollout, 3 still being replaced on the server (of 3 planned); 1 workload not replaced as planned",
    );
    expect(result.stderr).toContain("error: some replacements did not come up on the new image; see above");

    // maxUnavailable 25% of 3 is 0: the controller took no old pod down for the one it could not start.
    const now = await statesWithOneStuck("outage");
    expect(now.filter((s) => s === `Running ${v1}`)).toHaveLength(3);
    expect(now.filter(stuckPulling)).toHaveLength(1);
    expect(now).toHaveLength(4);
    const uids = JSON.parse(await kk(["get", "pods", "-n", ns, "-l", "app=outage", "-o", "json"])).items.map(
      (p: { metadata: { uid: string } }) => p.metadata.uid,
    );
    expect(uids).toEqual(expect.arrayContaining(pods.map((p) => p.metadata.uid)));
    expect(cluster.sim.eventsOf(ns).some((e) => e.what === "pull-failed")).toBe(true);
  });

  it("the only replica: its rollout's new pod cannot pull, the old pod keeps serving v1; apply says so and exits 1", async () => {
    const { v1, pods } = await failingPulls("lonely", 1);
    const result = await applyTo("lonely", "4s");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^deployment\\.apps ${ns}/lonely restarted \\(rollout\\), but: the rollout did not finish within the wait timeout \\(.+\\)$`,
        "m",
      ),
    );
    expect(result.stderr).toContain("error: some replacements did not come up on the new image; see above");
    const now = await statesWithOneStuck("lonely");
    expect(now).toHaveLength(2);
    expect(now).toContain(`Running ${v1}`);
    expect(now.filter(stuckPulling)).toHaveLength(1);
    const running = JSON.parse(
      await kk(["get", "pods", "-n", ns, "-l", "app=lonely", "-o", "json"]),
    ).items.filter((p: { status: { phase: string } }) => p.status.phase === "Running");
    expect(running.map((p: { metadata: { uid: string } }) => p.metadata.uid)).toEqual([
      pods[0]!.metadata.uid,
    ]);
  });

  it("one at a time (--strategy evict): one pod evicted, its replacement cannot pull, apply stops at the wait timeout", async () => {
    const { v1 } = await failingPulls("paced", 3);
    const result = await applyTo("paced", "6s", "--strategy", "evict");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: some planned pods were not restarted; see above");
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    expect(lines.filter((l) => l.endsWith(" evicted"))).toHaveLength(1);
    const refused = lines.filter((l) => l.includes("not evicted"));
    expect(refused).toHaveLength(2);
    for (const line of refused) {
      expect(line).toMatch(
        /not evicted: ReplicaSet\/paced-\S+ did not have 3 ready pods within the wait timeout \(paced-\S+'s app (ErrImagePull|ImagePullBackOff)\)$/,
      );
    }
    expect(result.stdout).toContain("1 evicted, 2 not started (of 3 planned)");

    // Two replicas still serve v1; the third is stuck pulling, as on a real node.
    const now = await statesWithOneStuck("paced");
    expect(now.filter((s) => s === `Running ${v1}`)).toHaveLength(2);
    expect(now.filter(stuckPulling)).toHaveLength(1);
    expect(now).toHaveLength(3);
  });
});

describe("PodDisruptionBudgets", () => {
  let v1: string;
  let v2: string;
  const budget = (spec: object) => ({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "guarded", namespace: ns },
    spec: { selector: { matchLabels: { app: "guarded" } }, ...spec },
  });

  beforeAll(async () => {
    const image = `${cluster.registry.host}/guarded:latest`;
    v1 = await pushImage(image, "guarded v1");
    await apply(deployment("guarded", ns, 2, { image }), budget({ maxUnavailable: 0 }));
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=guarded", count: 2, digest: v1 });
    v2 = await pushImage(image, "guarded v2");
  });

  // Deletion specifically: apply reads the budgets itself before each DELETE.
  const deleting = ["apply", "--yes", "-n", ns, "-l", "app=guarded", "--strategy", "delete"];

  it("--strategy delete: a budget allowing no disruption stops apply before any deletion", async () => {
    const result = await plugin([...deleting, "--wait-timeout", "3s"]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/not deleted: PodDisruptionBudget guarded allows no disruption now$/);
    }
    expect(await states("guarded")).toEqual([`Running ${v1}`, `Running ${v1}`]);
  });

  it("--strategy delete: a budget allowing one disruption: apply goes one pod at a time and both come back on v2", async () => {
    await apply(budget({ maxUnavailable: 1 }));
    const result = await plugin(deleting);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("2 deleted (of 2 planned)");
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=guarded", count: 2, digest: v2 });
    expect(cluster.sim.errors).toEqual([]);
  });
});

describe("a ReplicaSet that cannot make all its pods", () => {
  const shortNs = "e2e-safety-short";
  let v1: string;

  beforeAll(async () => {
    await cluster.namespace(shortNs);
    const image = `${cluster.registry.host}/short:latest`;
    v1 = await pushImage(image, "short v1");
    await apply(deployment("short", shortNs, 2, { image }));
    await cluster.sim.waitForPods({ namespace: shortNs, selector: "app=short", count: 2, digest: v1 });
    await settledWorkloads(shortNs);
    // The namespace tightened after its pods were made: they run on, the ReplicaSet's third is refused.
    await kk(["label", "namespace", shortNs, "pod-security.kubernetes.io/enforce=restricted"]);
    await kk(["scale", "deployment", "short", "-n", shortNs, "--replicas=3"]);
    await until("the ReplicaSet's third pod refused by Pod Security admission", async () => {
      const events = await kk(["get", "events", "-n", shortNs, "--field-selector=reason=FailedCreate"]);
      return events.includes("PodSecurity") ? true : undefined;
    });
    await pushImage(image, "short v2");
  });

  it("--strategy evict: its Ready pods are left, naming what it is short of", async () => {
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      shortNs,
      "--resolver",
      "registry",
      "--strategy",
      "evict",
    ]);
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${shortNs}/`));
    expect(lines, result.stdout + result.stderr).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(
        /not evicted: ReplicaSet\/short-[a-z0-9]+ has 2 of the 3 pods it should have: restarting a Ready one now would leave it shorter$/,
      );
    }
    expect(result.code).toBe(1);
    const pods = JSON.parse(await kk(["get", "pods", "-n", shortNs, "-o", "json"])).items as {
      status: { containerStatuses?: { imageID: string }[] };
    }[];
    expect(pods.map((p) => p.status.containerStatuses?.[0]?.imageID.split("@")[1])).toEqual([v1, v1]);
  });
});

describe("an autoscaler scaling a Deployment down while an evicted pod's replacement starts", () => {
  const scaledNs = "e2e-safety-scaled";
  const nodes = ["safe-a", "safe-b"];
  let v2: string;

  beforeAll(async () => {
    await cluster.namespace(scaledNs);
    const image = `${cluster.registry.host}/scaled:latest`;
    const v1 = await pushImage(image, "scaled v1");
    await apply(deployment("scaled", scaledNs, 3, { image }));
    await cluster.sim.waitForPods({ namespace: scaledNs, selector: "app=scaled", count: 3, digest: v1 });
    await settledWorkloads(scaledNs);
    v2 = await pushImage(image, "scaled v2");
  });

  afterAll(async () => {
    for (const node of nodes) await kk(["uncordon", node]).catch(() => "");
  });

  it("--strategy evict: the replacement the scale-down deleted is not waited for, and the other pods go on", async () => {
    // Cordoned nodes keep the first replacement unscheduled, so the scale-down deletes it.
    for (const node of nodes) await kk(["cordon", node]);
    const run = plugin(["apply", "--yes", "-n", scaledNs, "--strategy", "evict", "--wait-timeout", "90s"]);
    await until("the first replacement, unscheduled", async () => {
      const pods = JSON.parse(await kk(["get", "pods", "-n", scaledNs, "-o", "json"])).items as {
        spec: { nodeName?: string };
      }[];
      return pods.some((p) => !p.spec.nodeName) ? true : undefined;
    });
    await kk(["scale", "deployment", "scaled", "-n", scaledNs, "--replicas=2"]);
    for (const node of nodes) await kk(["uncordon", node]);
    const result = await run;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^pod ${scaledNs}/scaled-[a-z0-9-]+ evicted, its replacement not checked: ReplicaSet/scaled-[a-z0-9]+ was scaled down meanwhile, to 2 pods, all Ready: scaled-[a-z0-9-]+ needs no replacement$`,
        "m",
      ),
    );
    expect(result.stdout).toContain("3 evicted (of 3 planned)");
    await cluster.sim.waitForPods({ namespace: scaledNs, selector: "app=scaled", count: 2, digest: v2 });
  });
});
