/**
 * Verdicts that wait for a node's platform read, before the nodes, every manifest they may then compare: no
 * manifest is read after the nodes, and one left unread would be "was not read" at every run, the pod never
 * updated. Through the resolver's rounds and the decision, with pods on nodes of known platforms.
 */
import { expect, it } from "vitest";
import type { Resolver } from "../../../src/adapters/resolver.js";
import { decidePlan } from "../../../src/core/decide.js";
import { imagesInUse, imagesToResolve } from "../../../src/core/images-in-use.js";
import type { Pod } from "../../../src/core/k8s.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { ManifestInfo } from "../../../src/core/resolution.js";
import { nodesToInspect } from "../../../src/core/to-inspect.js";
import { resolveImages } from "../../../src/pipeline/resolve.js";
import { Limiter } from "../../../src/util/limiter.js";
import { digestOf, makePod, makeReplicaSet, type Runtime } from "../../support/pods.js";

type Stored =
  | { index: { digest: string; platform: string | null }[] }
  | { config: string; platform: string | null };

/** The tag at `digest`; manifests from `store`, a single one's platform only when asked for. */
function resolverOf(
  tag: { digest: string; isIndex: boolean | null; same?: string[] },
  store: Record<string, Stored>,
  name: "registry" | "docker",
): Resolver {
  return {
    name,
    resolveTag: async () => ({
      ok: true,
      tag: { digest: tag.digest, sameImageDigests: tag.same ?? [], isIndex: tag.isIndex },
    }),
    async inspectManifest(_ref, digest, _credentials, options): Promise<ManifestInfo> {
      const stored = store[digest];
      if (!stored) return { ok: false, reason: "manifest unknown (404)", missing: true };
      if ("index" in stored) return { ok: true, isIndex: true, children: stored.index };
      const platform = options?.platform ? { platform: stored.platform } : {};
      return { ok: true, isIndex: false, config: stored.config, ...platform };
    },
    describeImage: async () => ({ ok: true, created: null, labels: {} }),
  };
}

async function statusesOf(resolver: Resolver, pods: Pod[], nodes: Record<string, string>) {
  const resolutions = await resolveImages(imagesToResolve(imagesInUse(pods)), resolver, {
    limiter: new Limiter(4),
    credentialsFor: async () => [],
  });
  const input = {
    resolver: resolver.name,
    pods,
    owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
    resolutions,
  };
  const nodePlatforms = new Map(nodesToInspect(input).map((node) => [node, nodes[node] ?? null]));
  return decidePlan({ ...input, nodePlatforms }).pods.map((p) => {
    const { status, reason } = p.containers[0]!;
    return { status, reason };
  });
}

function podOn(name: string, node: string, digest: string, runtime: Runtime): Pod {
  const pod = makePod({
    name,
    runtime,
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    containers: [{ name: "app", image: "nginx", imageID: `docker.io/library/nginx@${digest}` }],
  });
  pod.spec.nodeName = node;
  return pod;
}

const d = digestOf;

it("a multi-arch tag pushed again as one image stating no platform: the node's image of the index is read first", async () => {
  const store: Record<string, Stored> = {
    [d("tag")]: { config: d("config new"), platform: null },
    [d("old")]: {
      index: [
        { digest: d("old amd64"), platform: "linux/amd64" },
        { digest: d("old arm64"), platform: "linux/arm64/v8" },
      ],
    },
    [d("old amd64")]: { config: d("config old amd64"), platform: "linux/amd64" },
    [d("old arm64")]: { config: d("config old arm64"), platform: "linux/arm64/v8" },
  };
  const resolver = resolverOf({ digest: d("tag"), isIndex: false }, store, "registry");
  const pods = [podOn("web-7d9c8b-a", "n1", d("old"), "containerd")];
  expect(await statusesOf(resolver, pods, { n1: "linux/amd64" })).toEqual([{ status: "stale", reason: "" }]);
});

it("a tag's lone image another pod's runtime named (read then without its platform) is read again with it", async () => {
  const store: Record<string, Stored> = {
    [d("tag")]: {
      index: [
        { digest: d("tag amd64"), platform: null },
        { digest: d("tag arm64"), platform: "linux/arm64/v8" },
      ],
    },
    [d("tag amd64")]: { config: d("config amd64 new"), platform: "linux/amd64" },
    [d("tag arm64")]: { config: d("config arm64"), platform: "linux/arm64/v8" },
    [d("old")]: {
      index: [
        { digest: d("old amd64"), platform: "linux/amd64" },
        { digest: d("old arm64"), platform: null },
      ],
    },
    [d("old amd64")]: { config: d("config amd64 old"), platform: "linux/amd64" },
    [d("old arm64")]: { config: d("config arm64"), platform: "linux/arm64/v8" },
  };
  // docker's record of the pulled image lists the tag's lone image, which a CRI-O pod runs.
  const tag = { digest: d("tag"), isIndex: null, same: [d("tag amd64")] };
  const pods = [
    podOn("web-7d9c8b-a", "n1", d("old"), "containerd"),
    podOn("web-7d9c8b-b", "n2", d("tag amd64"), "cri-o"),
  ];
  const [older] = await statusesOf(resolverOf(tag, store, "docker"), pods, {
    n1: "linux/amd64",
    n2: "linux/amd64",
  });
  expect(older).toEqual({ status: "stale", reason: "" });
});
