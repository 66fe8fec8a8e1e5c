/**
 * The tool's whole point, on a real control plane: a workload on `:latest`, the tag moves, `plan` sees
 * every replica stale, `apply --yes` deletes them one at a time (each replacement Ready before the next
 * deletion), the real controllers recreate them, the simulated kubelet pulls the new digest, and `plan`
 * is clean again. For a Deployment, a StatefulSet and a DaemonSet; with both resolvers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Pod, type Simulator, startSimulator } from "../simulator/index.js";
import { pushImage } from "../support/images.js";
import { type Registry, startRegistry } from "../support/registry.js";
import {
  actions,
  apply,
  createNamespace,
  daemonSet,
  deleteNamespaces,
  deployment,
  planJson,
  plugin,
  statefulSet,
  testbed,
} from "./support.js";

let registry: Registry;
let sim: Simulator;
const namespaces: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  sim = await startSimulator({
    kubeconfig: testbed().kubeconfig,
    nodes: [
      { name: "wl-containerd", runtime: "containerd" },
      { name: "wl-crio", runtime: "cri-o" },
      { name: "wl-docker", runtime: "docker" },
    ],
  });
});

afterAll(async () => {
  await deleteNamespaces(namespaces);
  await sim?.stop();
  await registry?.stop();
});

type Kind = "Deployment" | "StatefulSet" | "DaemonSet";
const manifest = (kind: Kind, name: string, ns: string, image: string) =>
  kind === "Deployment"
    ? deployment(name, ns, 3, { image })
    : kind === "StatefulSet"
      ? statefulSet(name, ns, 3, { image })
      : daemonSet(name, ns, { image });

describe.each([
  ["Deployment", "docker"],
  ["StatefulSet", "docker"],
  ["DaemonSet", "docker"],
  ["Deployment", "registry"],
  ["DaemonSet", "registry"],
] as [Kind, string][])("%s with --resolver %s", (kind, resolver) => {
  const ns = `e2e-wl-${kind.toLowerCase()}-${resolver}`;
  const name = "web";
  let image: string;
  let v1: string;
  let v2: string;
  let before: Pod[];

  beforeAll(async () => {
    namespaces.push(ns);
    await createNamespace(ns);
    image = `${registry.host}/${kind.toLowerCase()}-${resolver}:latest`;
    v1 = await pushImage(image, `${kind} ${resolver} v1`);
    await apply(manifest(kind, name, ns, image));
    before = await sim.waitForPods({ namespace: ns, selector: `app=${name}`, count: 3, digest: v1 });
  });

  it("plan: all 3 pods current on v1", async () => {
    if (kind === "DaemonSet") {
      // One per node, so every runtime's imageID form is read.
      expect(before.map((p) => p.spec.nodeName).sort()).toEqual(["wl-containerd", "wl-crio", "wl-docker"]);
    }
    const doc = await planJson(["-n", ns, "--resolver", resolver]);
    expect(doc.resolver).toBe(resolver);
    expect(doc.pods).toHaveLength(3);
    for (const pod of doc.pods) {
      expect(pod).toMatchObject({ action: "none", owner: { kind } });
      expect(pod.containers[0]).toMatchObject({ status: "current", runningDigest: v1, latestDigest: v1 });
    }
  });

  it("push a new image to the tag: plan shows 3 stale pods to delete", async () => {
    v2 = await pushImage(image, `${kind} ${resolver} v2`);
    expect(v2).not.toBe(v1);
    const doc = await planJson(["-n", ns, "--resolver", resolver]);
    expect(actions(doc)).toEqual(before.map((p) => `${ns}/${p.metadata.name} delete`).sort());
    for (const pod of doc.pods) {
      expect(pod.owner).toEqual({ kind, name });
      expect(pod.warnings).toEqual([]);
      expect(pod.containers[0]).toMatchObject({ status: "stale", runningDigest: v1, latestDigest: v2 });
    }
    const table = await plugin(["plan", "-n", ns, "--resolver", resolver, "--exit-code"]);
    expect(table.code).toBe(2);
    expect(table.stdout).toContain(
      "3 stale (3 to delete in 1 namespace, 0 skipped), 0 unknown, 0 current (3 pods checked)",
    );
  });

  it("apply --dry-run goes to the server and deletes nothing", async () => {
    const result = await plugin(["apply", "--dry-run", "-n", ns, "--resolver", resolver]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("3 deleted (server dry run) (of 3 planned)");
    const pods = await sim.waitForPods({ namespace: ns, selector: `app=${name}`, count: 3, digest: v1 });
    expect(pods.map((p) => p.metadata.uid).sort()).toEqual(before.map((p) => p.metadata.uid).sort());
  });

  it("apply --yes deletes them one at a time; the controller recreates them on v2; plan is clean", async () => {
    const started = sim.now();
    const result = await plugin(["apply", "--yes", "-n", ns, "--resolver", resolver]);
    const took = sim.now() - started;
    expect(result.code, result.stderr).toBe(0);
    const deletedLines = result.stdout.split("\n").filter((l) => / deleted$/.test(l));
    expect(deletedLines).toHaveLength(3);
    expect(result.stdout).toContain("3 deleted (of 3 planned)");

    const after = await sim.waitForPods({ namespace: ns, selector: `app=${name}`, count: 3, digest: v2 });
    const oldUids = new Set(before.map((p) => p.metadata.uid));
    expect(after.some((p) => oldUids.has(p.metadata.uid))).toBe(false);
    if (kind === "StatefulSet") {
      expect(after.map((p) => p.metadata.name).sort()).toEqual(["web-0", "web-1", "web-2"]);
    }
    if (kind === "DaemonSet") {
      expect(after.map((p) => p.spec.nodeName).sort()).toEqual(["wl-containerd", "wl-crio", "wl-docker"]);
    }

    // Order and timing, from what the simulated kubelets saw: the deletions in the order apply printed
    // them, and before each deletion after the first, a replacement became Ready.
    const events = sim.eventsOf(ns).filter((e) => e.at >= started);
    const deletions = events.filter((e) => e.what === "terminating" && oldUids.has(e.uid));
    expect(deletions.map((e) => `pod ${ns}/${e.pod} deleted`)).toEqual(deletedLines);
    const readyTimes = events.filter((e) => e.what === "running" && !oldUids.has(e.uid)).map((e) => e.at);
    for (let k = 1; k < deletions.length; k++) {
      const between = readyTimes.filter((t) => t > deletions[k - 1]!.at && t < deletions[k]!.at);
      expect(between.length, `a replacement Ready between deletion ${k} and ${k + 1}`).toBeGreaterThanOrEqual(
        1,
      );
    }
    // Sane: three sequential replacements take seconds, not the 5-minute wait timeout.
    expect(took).toBeLessThan(60_000);

    const doc = await planJson(["-n", ns, "--resolver", resolver]);
    expect(actions(doc)).toEqual(after.map((p) => `${ns}/${p.metadata.name} none`).sort());
    for (const pod of doc.pods)
      expect(pod.containers[0]).toMatchObject({ status: "current", runningDigest: v2 });
    expect(sim.errors).toEqual([]);
  });
});

describe("the simulated nodes", () => {
  it("stayed Ready and untainted through the file (their Leases kept the node lifecycle controller happy)", async () => {
    const nodes = (
      await sim.client.get<{
        items: {
          metadata: { name: string; creationTimestamp: string };
          spec: { taints?: unknown[] };
          status: { conditions: { type: string; status: string; lastTransitionTime: string }[] };
        }[];
      }>("/api/v1/nodes", { query: { labelSelector: "kubectl-autoupdate.test/simulated=true" } })
    ).items;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(["wl-containerd", "wl-crio", "wl-docker"]);
    for (const node of nodes) {
      const ready = node.status.conditions.find((c) => c.type === "Ready")!;
      // Never flipped to Unknown and back: the transition is the one written at registration.
      expect(ready, node.metadata.name).toMatchObject({
        status: "True",
        lastTransitionTime: expect.any(String),
      });
      expect(
        Date.parse(ready.lastTransitionTime) - Date.parse(node.metadata.creationTimestamp),
      ).toBeLessThanOrEqual(1000);
      expect(node.spec.taints ?? []).toEqual([]);
    }
  });
});
