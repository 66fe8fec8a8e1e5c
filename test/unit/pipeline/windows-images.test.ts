/**
 * Windows images are often published as one index with an image per Windows build, every one of them
 * `windows/amd64` (told apart by os.version, which is not compared), and containerd on Windows reports the
 * index's digest. When the tag is pushed again as one image, which of the index's images the node ran is
 * not known: the verdict is unknown, never stale (the replacement may be unable to start on that build).
 */
import { describe, expect, it } from "vitest";
import type { Kubectl, PodListListener, PodScope } from "../../../src/adapters/kubectl.js";
import type { Resolver } from "../../../src/adapters/resolver.js";
import type { ManifestInfo, TagResolution } from "../../../src/core/resolution.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

const OLD_INDEX = digestOf("app index: ltsc2019 + ltsc2022");
const W19 = digestOf("app ltsc2019");
const W22 = digestOf("app ltsc2022");
const W22B = digestOf("app ltsc2022, rebuilt");

const index: ManifestInfo = {
  ok: true,
  isIndex: true,
  children: [
    { digest: W19, platform: "windows/amd64" },
    { digest: W22, platform: "windows/amd64" },
  ],
};
const single = (digest: string): [string, ManifestInfo] => [
  digest,
  { ok: true, isIndex: false, config: configOf(digest), platform: "windows/amd64" },
];

const pod = makePod({
  name: "web-1-abcde",
  node: "win-1",
  owner: { kind: "ReplicaSet", name: "web-1" },
  containers: [{ name: "app", image: "app:latest", imageID: `docker.io/library/app@${OLD_INDEX}` }],
});

const kubectl = {
  async listPods(_scope: PodScope, { onPod }: PodListListener = {}) {
    onPod?.(pod);
    return [pod];
  },
  listObjects: async () => [makeReplicaSet("web-1", "web")],
  listServiceAccounts: async () => [{ metadata: { name: "default", namespace: "default" } }],
  getSecrets: async () => [],
  getNodes: async (names: string[]) =>
    names.map((name) => ({
      kind: "Node",
      metadata: { name },
      status: { nodeInfo: { operatingSystem: "windows", architecture: "amd64" } },
    })),
  listWorkloads: async () => [],
  listRememberedRestarts: async () => [],
} as unknown as Kubectl;

/** A registry where the tag names `tagDigest`, and these manifests are read by digest. */
function registry(tagDigest: string, manifests: Map<string, ManifestInfo>): Resolver {
  const moved: TagResolution = { ok: true, tag: { digest: tagDigest, sameImageDigests: [], isIndex: false } };
  return {
    name: "registry",
    resolveTag: async () => moved,
    async inspectManifest(_ref, digest) {
      return manifests.get(digest) ?? { ok: false, reason: "manifest unknown", missing: true };
    },
    describeImage: async () => ({ ok: false, reason: "not asked" }),
  };
}

describe("a node ran a multi-build Windows index; the tag now names one image", () => {
  it.each([
    ["the index's own ltsc2022 image", W22],
    ["a rebuilt ltsc2022 image", W22B],
  ])("the tag names %s: unknown, nothing restarted", async (_case, tagDigest) => {
    const manifests = new Map([[OLD_INDEX, index], single(W19), single(W22), single(W22B)]);
    const { plan } = await makePlan(kubectl, async () => registry(tagDigest, manifests), {
      scope: { allNamespaces: true },
      strategy: "auto",
      concurrency: 4,
      now: Date.now(),
    });
    expect(plan.pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: "the running index has several images for windows/amd64, told apart by what is not compared",
    });
    expect(plan.pods[0]!.action).toBe("none");
  });
});
