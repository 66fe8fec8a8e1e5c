/**
 * PodDisruptionBudgets, enforced by the real API server's Eviction API. A budget allowing no disruption
 * (maxUnavailable 0, or minAvailable = replicas) makes each eviction answer 429: apply retries with backoff
 * up to --wait-timeout, then leaves the pod naming the budget and exits 1 (a --dry-run hears the refusal
 * at once). With room in the budget the evictions go one at a time and never below what it allows. Two
 * budgets selecting a pod make the Eviction API answer 500: that pod fails at once, with both names (and
 * --strategy delete, which checks budgets itself, can still restart it). Under auto, a workload that is
 * evicted meets its budget the same way; one that is rolled never goes below the budget's minimum anyway.
 * An ended pod that lingers counts in a minAvailable count's expected pods, as the disruption controller
 * counts them, and is never Ready: auto evicts rather than roll into a budget that would never let it go.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Pod } from "../../simulator/index.js";
import { apply, kk, planJson, plugin, settledWorkloads, useCluster } from "../../support/e2e.js";
import { pushImage } from "../../support/images.js";
import { watchReady } from "../../support/ready-watch.js";
import { anonymous } from "../../support/registry/distribution.js";
import { deployment } from "../../support/workloads.js";

const ns = "e2e-budgets";
const cluster = useCluster({
  nodes: [
    { name: "pdb-containerd", runtime: "containerd" },
    { name: "pdb-crio", runtime: "cri-o" },
  ],
  registries: [anonymous],
  namespaces: [ns],
});

const budget = (name: string, app: string, spec: object) => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name, namespace: ns },
  spec: { selector: { matchLabels: { app } }, ...spec },
});
const recreate = (d: ReturnType<typeof deployment>) => ({
  ...d,
  spec: { ...d.spec, strategy: { type: "Recreate" } },
});

/** Each app's image and v1/v2 digests. */
const digests = new Map<string, { v1: string; v2: string }>();
const apps = {
  guarded: 2,
  doubled: 1,
  "auto-evicted": 2,
  "auto-rolled": 2,
  "auto-ended": 3,
} as const;

/** Two of three pods down at once, no surge: a budget wanting two Ready can never let it roll. */
const rollsTwoAtOnce = (d: ReturnType<typeof deployment>) => ({
  ...d,
  spec: { ...d.spec, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 2 } } },
});

beforeAll(async () => {
  await Promise.all(
    Object.entries(apps).map(async ([app, replicas]) => {
      const image = `${cluster.registry.host}/${app}:latest`;
      const v1 = await pushImage(image, `${app} v1`);
      const d = deployment(app, ns, replicas, { image });
      await apply(app === "auto-evicted" ? recreate(d) : app === "auto-ended" ? rollsTwoAtOnce(d) : d);
      await cluster.sim.waitForPods({ namespace: ns, selector: `app=${app}`, count: replicas, digest: v1 });
      digests.set(app, { v1, v2: await pushImage(image, `${app} v2`) });
    }),
  );
  await apply(
    budget("guard", "guarded", { maxUnavailable: 0 }),
    budget("first", "doubled", { maxUnavailable: 1 }),
    budget("second", "doubled", { maxUnavailable: 1 }),
    budget("keep-both", "auto-evicted", { minAvailable: 2 }),
    budget("keep-two", "auto-rolled", { minAvailable: 2 }),
    budget("two-of-three", "auto-ended", { minAvailable: 2 }),
  );
  // The disruption controller fills in each budget's status; until then evictions are refused anyway.
  for (const name of ["guard", "first", "second", "keep-both", "keep-two", "two-of-three"]) {
    await kk([
      "wait",
      "--for=jsonpath={.status.observedGeneration}=1",
      `pdb/${name}`,
      "-n",
      ns,
      "--timeout=60s",
    ]);
  }
  await settledWorkloads(ns);
});

/** `name uid` of the app's pods, not terminating, sorted. */
async function podsOf(app: string): Promise<string[]> {
  const pods = JSON.parse(await kk(["get", "pods", "-n", ns, "-l", `app=${app}`, "-o", "json"]))
    .items as Pod[];
  return pods
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => `${p.metadata.name} ${p.metadata.uid}`)
    .sort();
}

const evictions = (stderr: string, pod: string) =>
  stderr
    .split("\n")
    .filter((l) => l === `exec: kubectl create --raw /api/v1/namespaces/${ns}/pods/${pod}/eviction -f -`);

describe("a budget allowing no disruption (maxUnavailable 0)", () => {
  it("--dry-run: the server checks the budget too, and apply reports the refusal at once", async () => {
    const before = await podsOf("guarded");
    const result = await plugin([
      "apply",
      "--dry-run",
      "-n",
      ns,
      "-l",
      "app=guarded",
      "--strategy",
      "evict",
      "-v",
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(/ not evicted: PodDisruptionBudget guard allows no disruption now$/);
    // At once: each pod's eviction was sent once, not retried while the budget refuses.
    for (const line of lines) {
      const pod = line.split(" ")[1]!.split("/")[1]!;
      expect(evictions(result.stderr, pod)).toHaveLength(1);
    }
    expect(await podsOf("guarded")).toEqual(before);
  });

  it("--strategy evict: each eviction answers 429; apply retries until --wait-timeout, then leaves the pods naming the budget, exit 1", async () => {
    const before = await podsOf("guarded");
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      ns,
      "-l",
      "app=guarded",
      "--strategy",
      "evict",
      "--wait-timeout",
      "5s",
      "-v",
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(/ not evicted: PodDisruptionBudget guard allows no disruption now$/);
    expect(result.stdout).toContain("0 evicted, 2 not started (of 2 planned)");
    expect(result.stderr).toContain("error: some planned pods were not restarted; see above");
    // The first pod's eviction was retried while the wait lasted; the second was tried once (one wait per
    // controller), then left too.
    const [first, second] = lines.map((l) => l.split(" ")[1]!.split("/")[1]!);
    expect(evictions(result.stderr, first!).length).toBeGreaterThanOrEqual(2);
    expect(evictions(result.stderr, second!)).toHaveLength(1);
    expect(await podsOf("guarded")).toEqual(before);
  });

  it("with room in the budget (maxUnavailable 1) the evictions go one at a time, never below what it allows", async () => {
    await apply(budget("guard", "guarded", { maxUnavailable: 1 }));
    await kk([
      "wait",
      "--for=jsonpath={.status.disruptionsAllowed}=1",
      "pdb/guard",
      "-n",
      ns,
      "--timeout=60s",
    ]);
    const serving = await watchReady(cluster.sim.client, ns, "app=guarded");
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=guarded", "--strategy", "evict"]);
    const counts = await serving.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("2 evicted (of 2 planned)");
    expect(Math.min(...counts.map((c) => c.ready))).toBe(1);
    await cluster.sim.waitForPods({
      namespace: ns,
      selector: "app=guarded",
      count: 2,
      digest: digests.get("guarded")!.v2,
    });
  });
});

describe("two budgets selecting one pod", () => {
  it("the Eviction API answers 500: the pod fails at once naming both budgets, exit 1", async () => {
    const before = await podsOf("doubled");
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      ns,
      "-l",
      "app=doubled",
      "--strategy",
      "evict",
      "-v",
    ]);
    expect(result.code).toBe(1);
    const name = before[0]!.split(" ")[0]!;
    // Nothing to wait for: no retry can help, and none is made.
    expect(evictions(result.stderr, name)).toHaveLength(1);
    expect(result.stdout).toContain(
      `pod ${ns}/${name} not evicted: more than one PodDisruptionBudget selects it (first, second), and the Eviction API refuses such pods: leave one budget, or use --strategy delete\n`,
    );
    expect(result.stdout).toContain("0 evicted, 1 failed (of 1 planned)");
    expect(await podsOf("doubled")).toEqual(before);
  });

  it("--strategy delete checks both budgets itself, and restarts it", async () => {
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=doubled", "--strategy", "delete"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("1 deleted (of 1 planned)");
    await cluster.sim.waitForPods({
      namespace: ns,
      selector: "app=doubled",
      count: 1,
      digest: digests.get("doubled")!.v2,
    });
  });
});

describe("under auto", () => {
  it("a Recreate Deployment is evicted, so its budget (minAvailable = replicas) holds it: left, naming the budget", async () => {
    const before = await podsOf("auto-evicted");
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      ns,
      "-l",
      "app=auto-evicted",
      "--wait-timeout",
      "3s",
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/ not evicted: PodDisruptionBudget keep-both allows no disruption now$/);
    }
    expect(await podsOf("auto-evicted")).toEqual(before);
  });

  it("an ended pod counts in a minAvailable count's expected pods, never Ready: the workload is evicted", async () => {
    // A pod its kubelet evicted lingers, Failed, with the app's labels (a bare one: no ReplicaSet adopts it).
    const lingering = deployment("auto-ended", ns, 1, {
      image: `${cluster.registry.host}/auto-ended:latest`,
    });
    const name = "auto-ended-evicted";
    await apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: ns, labels: { app: "auto-ended" } },
      spec: { ...lingering.spec.template.spec, nodeName: "pdb-containerd" },
    });
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=auto-ended", count: 4 });
    await kk([
      "patch",
      "pod",
      name,
      "-n",
      ns,
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"phase":"Failed","reason":"Evicted"}}',
    ]);
    // The real disruption controller counts it: 4 expected, 3 Ready; so 1 disruption at most, never 2.
    await kk([
      "wait",
      "--for=jsonpath={.status.expectedPods}=4",
      "pdb/two-of-three",
      "-n",
      ns,
      "--timeout=60s",
    ]);
    const doc = await planJson(["-n", ns, "-l", "app=auto-ended"]);
    const restarts = doc.pods.filter((p) => p.action === "delete").map((p) => p.restart);
    expect(restarts).toHaveLength(3);
    for (const restart of restarts) {
      expect(restart).toMatchObject({
        strategy: "evict",
        reason:
          "PodDisruptionBudget two-of-three allows at most 1 disruption, and Deployment/auto-ended's rollout takes 2 pods out of service at once: evicted one at a time",
      });
    }
  });

  it("a RollingUpdate Deployment is rolled: its surge keeps it at the budget's minimum throughout", async () => {
    const serving = await watchReady(cluster.sim.client, ns, "app=auto-rolled");
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=auto-rolled"]);
    const counts = await serving.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `deployment.apps ${ns}/auto-rolled restarted (rollout): 2 pods replaced\n`,
    );
    expect(Math.min(...counts.map((c) => c.ready)), JSON.stringify(counts)).toBe(2);
    await cluster.sim.waitForPods({
      namespace: ns,
      selector: "app=auto-rolled",
      count: 2,
      digest: digests.get("auto-rolled")!.v2,
    });
    expect(cluster.sim.errors).toEqual([]);
  });
});
