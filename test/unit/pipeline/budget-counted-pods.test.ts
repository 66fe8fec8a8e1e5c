/**
 * A minAvailable count counts every pod it selects in its expected pods: one its kubelet evicted (lingering
 * Failed), one stuck terminating on a lost node. Neither will be Ready, so auto evicts a workload whose
 * rollout such a budget would never let go, through the whole plan; where --image leaves such a pod out of
 * sight (it runs another image), the budget's Ready pods now are what it counts.
 */
import { describe, expect, it } from "vitest";
import type { PodScope } from "../../../src/adapters/kubectl.js";
import type { Resolver } from "../../../src/adapters/resolver.js";
import { formatImageRef, parseImageRef } from "../../../src/core/image-ref.js";
import type { Pod } from "../../../src/core/k8s.js";
import type { ManifestInfo } from "../../../src/core/resolution.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { planKubectl } from "../../support/plan-kubectl.js";
import { digestOf, makePod, makeReplicaSet, settledDeployment } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

const [OLD, NEW] = [digestOf("v1"), digestOf("v2")];
const main = "registry.example.com/shop/web:main";
const webPod = (name: string, image = main) =>
  makePod({
    name,
    namespace: "shop",
    node: "n1",
    labels: { app: "web" },
    owner: { kind: "ReplicaSet", name: "web-new" },
    containers: [{ name: "app", image, runningDigest: OLD }],
  });

/** The plan's strategy for web's pods: 8 stale ones and `ninth`, under minAvailable 7 (9 pods, 8 Ready). */
async function strategyWith(ninth: Pod, images?: ReadonlySet<string>) {
  const pods = [...["a", "b", "c", "d", "e", "f", "g", "h"].map((s) => webPod(`web-new-${s}`)), ninth];
  const kubectl = planKubectl(pods, {
    owners: [makeReplicaSet("web-new", "web", "shop")],
    calls: {
      listWorkloads: async (kind: string) =>
        kind === "Deployment" ? [settledDeployment("web", "shop", 8)] : [],
      listPodCreationTimes: async () => new Map(),
      namespaceOf: async (s: PodScope) => s.namespace,
      listDisruptionBudgetsIn: async () => [
        {
          name: "guard",
          namespace: "shop",
          selector: { matchLabels: { app: "web" } },
          disruptionsAllowed: 1,
          currentHealthy: 8,
          desiredHealthy: 7,
          expectedPods: 9,
          countsEndedPods: true,
        },
      ],
    },
  });
  const manifests = new Map<string, ManifestInfo>([
    [OLD, { ok: true, isIndex: false, config: configOf(OLD), platform: "linux/amd64" }],
    [NEW, { ok: true, isIndex: false, config: configOf(NEW), platform: "linux/amd64" }],
  ]);
  const resolver: Resolver = {
    name: "registry",
    resolveTag: async () => ({ ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } }),
    inspectManifest: async (_ref, digest) => manifests.get(digest) ?? { ok: false, reason: "unknown" },
    describeImage: async () => ({ ok: false, reason: "not asked" }),
  };
  const { plan } = await makePlan(kubectl, async () => resolver, {
    scope: { namespace: "shop", allNamespaces: false },
    strategy: "auto",
    concurrency: 4,
    now: Date.now(),
    ...(images ? { images } : {}),
  });
  return plan.pods.find((p) => p.name === "web-new-a")!.restart?.strategy;
}

describe("a minAvailable count's pods that will not be Ready", () => {
  it("a ninth pod lingering Failed: evicted, not rolled", async () => {
    const failed = webPod("web-new-x");
    failed.status = { ...failed.status, phase: "Failed" };
    expect(await strategyWith(failed)).toBe("evict");
  });

  it("a ninth pod stuck terminating on a lost node: evicted too", async () => {
    const stuck = webPod("web-new-x");
    stuck.metadata.deletionTimestamp = "2026-12-06T10:00:00Z";
    expect(await strategyWith(stuck)).toBe("evict");
  });

  it("under --image, a ninth pod on another image, out of sight: evicted too", async () => {
    const failed = webPod("web-old-x", "registry.example.com/shop/web:1.4");
    failed.status = { ...failed.status, phase: "Failed" };
    expect(await strategyWith(failed, new Set([formatImageRef(parseImageRef(main))]))).toBe("evict");
  });
});
