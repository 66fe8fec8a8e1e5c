/**
 * A scope narrowed by -l or --field-selector leaves out some pods of a workload, but a rollout replaces every
 * pod of it: the choice of one must see the pods opted out outside the selection, as apply's check right
 * before the patch does.
 */
import { describe, expect, it } from "vitest";
import type { Kubectl, PodListListener, PodScope } from "../../../src/adapters/kubectl.js";
import type { Resolver } from "../../../src/adapters/resolver.js";
import type { KubeObject, Pod } from "../../../src/core/k8s.js";
import type { ManifestInfo, TagResolution } from "../../../src/core/resolution.js";
import { decideRestart } from "../../../src/core/restart-strategy.js";
import type { Workload } from "../../../src/core/workload.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { planKubectl } from "../../support/plan-kubectl.js";
import { digestOf, makePod, makeReplicaSet, settledDeployment } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

/** A kubectl whose pod list honours `--field-selector spec.nodeName=X`, as the API server does. */
function kubectlWith(
  pods: Pod[],
  workloads: Workload[],
  owners: KubeObject[] = [],
  scopes: PodScope[] = [],
): Kubectl {
  return planKubectl(pods, {
    owners,
    nodeArch: (name) => (name.startsWith("arm") ? "arm64" : "amd64"),
    calls: {
      async listPods(scope: PodScope, { onPod }: PodListListener = {}) {
        scopes.push(scope);
        const node = /^spec\.nodeName=(.+)$/.exec(scope.fieldSelector ?? "")?.[1];
        const [key, value] = scope.selector?.split("=") ?? [];
        const listed = pods.filter(
          (p) =>
            (node === undefined || p.spec.nodeName === node) &&
            (key === undefined || p.metadata.labels?.[key] === value),
        );
        for (const p of listed) onPod?.(p);
        return listed;
      },
      listWorkloads: async (kind: string) => workloads.filter((w) => w.kind === kind),
      listPodCreationTimes: async () => new Map(),
      namespaceOf: async (s: PodScope) => s.namespace,
    },
  });
}

function resolverWith(tag: TagResolution, manifests: Map<string, ManifestInfo>): Resolver {
  return {
    name: "registry",
    resolveTag: async () => tag,
    inspectManifest: async (_ref, digest) => manifests.get(digest) ?? { ok: false, reason: "unknown" },
    describeImage: async () => ({ ok: false, reason: "not asked" }),
  };
}

const restartOf = async (kubectl: Kubectl, resolver: Resolver, scope: PodScope, name: string) => {
  const { plan } = await makePlan(kubectl, async () => resolver, {
    scope,
    strategy: "auto",
    concurrency: 4,
    now: Date.now(),
  });
  const pod = plan.pods.find((p) => p.name === name)!;
  return { action: pod.action, strategy: pod.restart?.strategy, reason: pod.restart?.reason ?? pod.reason };
};

describe("a selection that leaves out some pods of a workload", () => {
  it("an opted-out pod outside --field-selector: the plan still says rollout, which apply then refuses", async () => {
    const OLD = digestOf("v1");
    const NEW = digestOf("v2");
    const pod = (name: string, node: string, labels?: Record<string, string>) =>
      makePod({
        name,
        namespace: "shop",
        node,
        labels: { app: "web", ...labels },
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "registry.example.com/shop/web:main", runningDigest: OLD }],
      });
    const pods = [
      pod("web-7d9c8b-a", "n1"),
      pod("web-7d9c8b-b", "n2", { "kubectl-autoupdate/ignore": "true" }),
    ];
    const web = settledDeployment("web", "shop", 2);
    const scopes: PodScope[] = [];
    const kubectl = kubectlWith(pods, [web], [makeReplicaSet("web-7d9c8b", "web", "shop")], scopes);
    const resolver = resolverWith(
      { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
      new Map<string, ManifestInfo>([
        [OLD, { ok: true, isIndex: false, config: configOf(OLD), platform: "linux/amd64" }],
        [NEW, { ok: true, isIndex: false, config: configOf(NEW), platform: "linux/amd64" }],
      ]),
    );

    const whole = await restartOf(
      kubectl,
      resolver,
      { namespace: "shop", allNamespaces: false },
      "web-7d9c8b-a",
    );
    // Without a selection the plan sees the opted-out pod and evicts web-a alone, listing pods once.
    expect(whole).toMatchObject({ action: "delete", strategy: "evict" });
    expect(scopes).toHaveLength(1);
    // A blank selection selects every pod, as kubectl's does: no list more.
    const blank = { namespace: "shop", allNamespaces: false, fieldSelector: " " };
    expect(await restartOf(kubectl, resolver, blank, "web-7d9c8b-a")).toEqual(whole);
    expect(scopes).toHaveLength(2);

    const scoped = await restartOf(
      kubectl,
      resolver,
      { namespace: "shop", allNamespaces: false, fieldSelector: "spec.nodeName=n1" },
      "web-7d9c8b-a",
    );
    // What apply decides right before patching (pipeline/restart/rollout.ts reads the workload's live pods):
    const atApply = decideRestart(
      "auto",
      { kind: "Deployment", name: "web" },
      {
        workload: web,
        pods: ["web-7d9c8b-a"],
        optedOut: ["web-7d9c8b-b"],
      },
    );
    expect(atApply).toMatchObject({ kind: "restart", strategy: "evict" });
    // The plan (table ACTION, Plan document restart.strategy, -o name) should say the same thing apply does.
    expect(scoped.strategy).toBe(atApply.kind === "restart" ? atApply.strategy : undefined);
    // One more list, of the pods opted out, by their label.
    expect(scopes.slice(2)).toEqual([
      { namespace: "shop", allNamespaces: false, fieldSelector: "spec.nodeName=n1" },
      { namespace: "shop", allNamespaces: false, selector: "kubectl-autoupdate/ignore=true" },
    ]);
  });
});
