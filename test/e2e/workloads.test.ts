/**
 * The tool's whole point, on a real control plane: a workload on `:latest`, the tag moves, `plan` sees
 * every replica stale, `apply --yes` (the default strategy, auto) rolls the workload out as `kubectl rollout
 * restart` would, the real controllers replace the pods with their own pacing (followed by a watch: never
 * fewer serving pods than the workload allows), the simulated kubelet pulls the new digest,
 * and `plan` is clean again. For a Deployment, a StatefulSet and a DaemonSet, each with both resolvers (the
 * StatefulSet's plans with both, in one case: apply's steps don't depend on the resolver). And a
 * Deployment whose selector matches a canary Deployment's pods too: its rollout is its own pods' business.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Pod } from "../simulator/index.js";
import { actions, apply, kk, planJson, plugin, settledWorkloads, useCluster } from "../support/e2e.js";
import { pushImage } from "../support/images.js";
import { watchReady } from "../support/ready-watch.js";
import { anonymous } from "../support/registry/distribution.js";
import { daemonSet, deployment, statefulSet } from "../support/workloads.js";

type Kind = "Deployment" | "StatefulSet" | "DaemonSet";
interface Case {
  kind: Kind;
  /** The resolver of every step. */
  resolver: string;
  /** Also checks each plan with these: a case of its own would cost ~15 s for no step that differs. */
  plannedWith: string[];
  title: string;
}
const kase = (kind: Kind, resolver: string, plannedWith: string[] = []): Case => ({
  kind,
  resolver,
  plannedWith,
  title:
    plannedWith.length > 0 ? `${resolver} (plans also with --resolver ${plannedWith.join(", ")})` : resolver,
});
const cases: Case[] = [
  kase("Deployment", "docker"),
  kase("StatefulSet", "docker", ["registry"]),
  kase("DaemonSet", "docker"),
  kase("Deployment", "registry"),
  kase("DaemonSet", "registry"),
];
const namespaceOf = (c: Case) => `e2e-wl-${c.kind.toLowerCase()}-${c.resolver}`;
const imageOf = (c: Case) => `${cluster.registry.host}/${c.kind.toLowerCase()}-${c.resolver}:latest`;

const cluster = useCluster({
  nodes: [
    { name: "wl-containerd", runtime: "containerd" },
    { name: "wl-crio", runtime: "cri-o" },
    { name: "wl-docker", runtime: "docker" },
  ],
  registries: [anonymous],
});
/** v1's digest per case's namespace. */
const firstDigests = new Map<string, string>();

beforeAll(async () => {
  // Every case's workload starts at once (a StatefulSet starts its pods one by one): the cases then run
  // one after another, each in its own namespace on its own image.
  await Promise.all(
    cases.map(async (c) => {
      const ns = namespaceOf(c);
      await cluster.namespace(ns);
      const image = imageOf(c);
      firstDigests.set(ns, await pushImage(image, `${c.kind} ${c.resolver} v1`));
      await apply(manifest(c.kind, "web", ns, image));
    }),
  );
});

/** The workload's generation and its template's restartedAt annotation. */
async function templateOf(kind: Kind, ns: string) {
  const w = JSON.parse(await kk(["get", kind.toLowerCase(), "web", "-n", ns, "-o", "json"]));
  return {
    generation: w.metadata.generation as number,
    restartedAt: w.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"] as
      | string
      | undefined,
  };
}

const manifest = (kind: Kind, name: string, ns: string, image: string) =>
  kind === "Deployment"
    ? deployment(name, ns, 3, { image })
    : kind === "StatefulSet"
      ? statefulSet(name, ns, 3, { image })
      : daemonSet(name, ns, { image });

describe.each(cases)("$kind with --resolver $title", (c) => {
  const { kind, resolver } = c;
  const ns = namespaceOf(c);
  /** Every resolver whose plans are checked, the case's own first. */
  const planners = [resolver, ...c.plannedWith];
  const name = "web";
  let image: string;
  let v1: string;
  let v2: string;
  let before: Pod[];

  beforeAll(async () => {
    image = imageOf(c);
    v1 = firstDigests.get(ns)!;
    before = await cluster.sim.waitForPods({ namespace: ns, selector: `app=${name}`, count: 3, digest: v1 });
    await settledWorkloads(ns);
  });

  it("plan: all 3 pods current on v1", async () => {
    if (kind === "DaemonSet") {
      // One per node, so every runtime's imageID form is read.
      expect(before.map((p) => p.spec.nodeName).sort()).toEqual(["wl-containerd", "wl-crio", "wl-docker"]);
    }
    for (const planner of planners) {
      const doc = await planJson(["-n", ns, "--resolver", planner]);
      expect(doc.resolver).toBe(planner);
      expect(doc.pods).toHaveLength(3);
      for (const pod of doc.pods) {
        expect(pod, planner).toMatchObject({ action: "none", owner: { kind } });
        expect(pod.containers[0], planner).toMatchObject({
          status: "current",
          runningDigest: v1,
          latestDigest: v1,
        });
      }
    }
  });

  it("push a new image to the tag: plan shows 3 stale pods, to be replaced by a rollout", async () => {
    v2 = await pushImage(image, `${kind} ${resolver} v2`);
    expect(v2).not.toBe(v1);
    for (const planner of planners) {
      const doc = await planJson(["-n", ns, "--resolver", planner]);
      expect(actions(doc), planner).toEqual(before.map((p) => `${ns}/${p.metadata.name} delete`).sort());
      for (const pod of doc.pods) {
        expect(pod.owner, planner).toEqual({ kind, name });
        expect(pod.restart, planner).toEqual({
          strategy: "rollout",
          controller: { kind, name },
          reason: expect.stringMatching(new RegExp(`^rolling update of ${kind}/${name}'s `)),
        });
        expect(pod.warnings, planner).toEqual([]);
        expect(pod.containers[0], planner).toMatchObject({
          status: "stale",
          runningDigest: v1,
          latestDigest: v2,
        });
      }
    }
    const table = await plugin(["plan", "-n", ns, "--resolver", resolver, "--exit-code"]);
    expect(table.code).toBe(2);
    expect(table.stdout).toContain(
      "3 stale (3 to restart in 1 namespace, 0 skipped), 0 unknown, 0 current (3 pods checked)",
    );
    expect(table.stdout.split("\n").filter((l) => / rollout {3}rolling update of /.test(l))).toHaveLength(3);
  });

  it("apply --dry-run goes to the server and changes nothing: no pod, no template", async () => {
    const template = await templateOf(kind, ns);
    const result = await plugin(["apply", "--dry-run", "-n", ns, "--resolver", resolver]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `${kind.toLowerCase()}.apps ${ns}/web restarted (rollout, server dry run)\n`,
    );
    expect(result.stdout).toContain("3 replaced by rollout (of 3 planned, server dry run)");
    expect(await templateOf(kind, ns)).toEqual(template);
    const pods = await cluster.sim.waitForPods({
      namespace: ns,
      selector: `app=${name}`,
      count: 3,
      digest: v1,
    });
    expect(pods.map((p) => p.metadata.uid).sort()).toEqual(before.map((p) => p.metadata.uid).sort());
  });

  it("apply --yes rolls the workload out; its controller replaces the pods on v2, never below what it allows; plan is clean", async () => {
    const serving = await watchReady(cluster.sim.client, ns, `app=${name}`);
    const started = cluster.sim.now();
    const result = await plugin(["apply", "--yes", "-n", ns, "--resolver", resolver]);
    const counts = await serving.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `${kind.toLowerCase()}.apps ${ns}/web restarted (rollout): 3 pods replaced\n`,
    );
    expect(result.stdout).toContain("3 replaced by rollout (of 3 planned)");
    // A rollout reports the workload, not each pod.
    expect(result.stdout.split("\n").filter((l) => l.startsWith("pod "))).toEqual([]);
    expect((await templateOf(kind, ns)).restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // The controller's pacing, as the API server went through it (serving: Ready and not terminating). A
    // Deployment (maxSurge 25% → 1, maxUnavailable 25% → 0 of 3) starts each new pod before an old one
    // stops; a StatefulSet replaces one pod at a time; a DaemonSet (maxUnavailable 1) one node at a time.
    const ready = counts.map((c) => c.ready);
    if (kind === "Deployment") {
      expect([Math.min(...ready), Math.max(...ready)], JSON.stringify(counts)).toEqual([3, 4]);
    } else {
      expect([Math.min(...ready), Math.max(...ready)], JSON.stringify(counts)).toEqual([2, 3]);
    }
    const after = await cluster.sim.waitForPods({
      namespace: ns,
      selector: `app=${name}`,
      count: 3,
      digest: v2,
    });
    const oldUids = new Set(before.map((p) => p.metadata.uid));
    expect(after.some((p) => oldUids.has(p.metadata.uid))).toBe(false);
    if (kind === "StatefulSet") {
      expect(after.map((p) => p.metadata.name).sort()).toEqual(["web-0", "web-1", "web-2"]);
    }
    if (kind === "DaemonSet") {
      expect(after.map((p) => p.spec.nodeName).sort()).toEqual(["wl-containerd", "wl-crio", "wl-docker"]);
    }

    // A StatefulSet goes from the highest ordinal down (what the simulated kubelets saw stop, in order).
    if (kind === "StatefulSet") {
      const stops = cluster.sim
        .eventsOf(ns)
        .filter((e) => e.at >= started && e.what === "terminating" && oldUids.has(e.uid));
      expect(stops.map((e) => e.pod)).toEqual(["web-2", "web-1", "web-0"]);
    }

    for (const planner of planners) {
      const doc = await planJson(["-n", ns, "--resolver", planner]);
      expect(actions(doc), planner).toEqual(after.map((p) => `${ns}/${p.metadata.name} none`).sort());
      for (const pod of doc.pods)
        expect(pod.containers[0], planner).toMatchObject({ status: "current", runningDigest: v2 });
    }
    expect(cluster.sim.errors).toEqual([]);
  });
});

describe("a canary Deployment whose pods the stable Deployment's selector matches too", () => {
  const ns = "e2e-wl-canary";
  let image: string;
  let v1: string;

  beforeAll(async () => {
    await cluster.namespace(ns);
    image = `${cluster.registry.host}/canary:latest`;
    v1 = await pushImage(image, "canary v1");
    // The canary's pods carry app=web as well; opted out, they are someone else's to roll.
    const track = { app: "web", track: "canary" };
    const base = deployment("web-canary", ns, 1, { image });
    const canary = {
      ...base,
      spec: {
        ...base.spec,
        selector: { matchLabels: track },
        template: {
          ...base.spec.template,
          metadata: { labels: { ...track, "kubectl-autoupdate/ignore": "true" } },
        },
      },
    };
    await apply(deployment("web", ns, 2, { image }), canary);
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=web", count: 3, digest: v1 });
    await settledWorkloads(ns);
  });

  it("the stable rollout is neither held back by the canary's opted-out pods nor failed by their old digest", async () => {
    const v2 = await pushImage(image, "canary v2");
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      ns,
      "--resolver",
      "registry",
      "--strategy",
      "rollout",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`deployment.apps ${ns}/web restarted (rollout): 2 pods replaced\n`);
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=web,!track", count: 2, digest: v2 });
    await cluster.sim.waitForPods({ namespace: ns, selector: "track=canary", count: 1, digest: v1 });
    expect(cluster.sim.errors).toEqual([]);
  });
});

describe("the simulated nodes", () => {
  it("stayed Ready and untainted through the file (their Leases kept the node lifecycle controller happy)", async () => {
    const nodes = (
      await cluster.sim.client.get<{
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
