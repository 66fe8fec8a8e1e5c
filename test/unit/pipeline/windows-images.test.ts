/**
 * A process-isolated Windows container runs only on a node of its image's Windows build. Windows tags are
 * often one index with an image per build, and containerd on Windows reports the index's digest. A tag
 * moved to images for other builds only is unknown, never stale: the replacement could not start. Where
 * the build is not known (an index that names no os.version, a node without the build), which image the
 * node ran is not known either: unknown too.
 */
import { describe, expect, it } from "vitest";
import type { Resolver } from "../../../src/adapters/resolver.js";
import { configPlatform } from "../../../src/core/manifest.js";
import type { ManifestInfo, TagResolution } from "../../../src/core/resolution.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { planKubectl } from "../../support/plan-kubectl.js";
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

/** The pod on node win-1, running `app:latest` by this digest (containerd on Windows: the index's). */
const podRunning = (digest: string) =>
  makePod({
    name: "web-1-abcde",
    node: "win-1",
    owner: { kind: "ReplicaSet", name: "web-1" },
    containers: [{ name: "app", image: "app:latest", runningDigest: digest }],
  });

/** The nodes' Windows build (their node.kubernetes.io/windows-build label); none: not published. */
let nodeBuild: string | undefined;

const kubectlWith = (pod: ReturnType<typeof podRunning>) =>
  planKubectl([pod], {
    owners: [makeReplicaSet("web-1", "web")],
    calls: {
      getNodes: async (names: string[]) =>
        names.map((name) => ({
          kind: "Node",
          metadata: { name, labels: nodeBuild ? { "node.kubernetes.io/windows-build": nodeBuild } : {} },
          status: { nodeInfo: { operatingSystem: "windows", architecture: "amd64" } },
        })),
    },
  });

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

/** The plan of the pod running `running`, the tag now naming `tagDigest`. */
const plan = (tagDigest: string, manifests: Map<string, ManifestInfo>, running = OLD_INDEX) =>
  makePlan(kubectlWith(podRunning(running)), async () => registry(tagDigest, manifests), {
    scope: { allNamespaces: true },
    strategy: "auto",
    concurrency: 4,
    now: Date.now(),
  });

describe("a node ran a multi-build Windows index; the tag now names one image", () => {
  it.each([
    ["the index's own ltsc2022 image", W22],
    ["a rebuilt ltsc2022 image", W22B],
  ])(
    "the index names no build, nor the node: the tag names %s: unknown, nothing restarted",
    async (_case, tagDigest) => {
      nodeBuild = undefined;
      const manifests = new Map([[OLD_INDEX, index], single(W19), single(W22), single(W22B)]);
      const { plan: made } = await plan(tagDigest, manifests);
      expect(made.pods[0]!.containers[0]).toMatchObject({
        status: "unknown",
        reason: "the running index has several images for windows/amd64, told apart by what is not compared",
      });
      expect(made.pods[0]!.action).toBe("none");
    },
  );
});

describe("images and nodes that state their Windows build", () => {
  const config = (digest: string, version: string) => ({
    digest,
    platform: configPlatform({ os: "windows", architecture: "amd64", "os.version": version }),
  });
  const ltsc2019 = config(W19, "10.0.17763.5329");
  const ltsc2022 = config(W22, "10.0.20348.2227");
  const built = ({
    digest,
    platform,
  }: {
    digest: string;
    platform: string | null;
  }): [string, ManifestInfo] => [digest, { ok: true, isIndex: false, config: configOf(digest), platform }];
  const byBuild: ManifestInfo = { ok: true, isIndex: true, children: [ltsc2019, ltsc2022] };

  it("a single image pushed again built for another Windows build only: unknown for the old build's node", async () => {
    nodeBuild = "10.0.17763";
    const manifests = new Map([built(ltsc2019), built(ltsc2022)]);
    const { plan: made } = await plan(W22, manifests, W19);
    expect(made.pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: "the tag no longer has an image for windows/amd64 10.0.17763",
    });
  });

  it("the index ran on an ltsc2022 node; the tag now names the index's ltsc2022 image: current", async () => {
    nodeBuild = "10.0.20348";
    const manifests = new Map([[OLD_INDEX, byBuild], built(ltsc2019), built(ltsc2022)]);
    const { plan: made } = await plan(W22, manifests);
    expect(made.pods[0]!.containers[0]!.status).toBe("current");
  });

  it("the index ran on an ltsc2019 node; the tag now names only the ltsc2022 image: unknown", async () => {
    nodeBuild = "10.0.17763";
    const manifests = new Map([[OLD_INDEX, byBuild], built(ltsc2019), built(ltsc2022)]);
    const { plan: made } = await plan(W22, manifests);
    expect(made.pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: "the tag no longer has an image for windows/amd64 10.0.17763",
    });
    expect(made.pods[0]!.action).toBe("none");
  });
});
