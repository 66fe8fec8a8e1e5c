/**
 * Verdicts that a node's platform decides, through the whole plan: the manifests they need are read before
 * the nodes are (no manifest is read after), and a node read is never taken for one that could not be. A
 * 32-bit ARM node states no variant: its architecture alone still tells it from another's.
 */
import { describe, expect, it } from "vitest";
import type { Kubectl } from "../../../src/adapters/kubectl.js";
import type { Resolver } from "../../../src/adapters/resolver.js";
import type { ManifestInfo, TagResolution } from "../../../src/core/resolution.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { onePodPlanKubectl } from "../../support/plan-kubectl.js";
import { digestOf } from "../../support/pods.js";

const [RUNNING, LONE] = [digestOf("crane-built index"), digestOf("its one image, no platform")];
const [TAG, AMD, ARM] = [digestOf("buildx index"), digestOf("amd64 image"), digestOf("arm64 image")];

/** An image as read with its platform: the one its config states, or none (null). */
const image = (digest: string, config: string, platform?: string): [string, ManifestInfo] => [
  digest,
  { ok: true, isIndex: false, config: digestOf(config), platform: platform ?? null },
];
const lone: [string, ManifestInfo] = [
  RUNNING,
  { ok: true, isIndex: true, children: [{ digest: LONE, platform: null }] },
];
const buildx: [string, ManifestInfo] = [
  TAG,
  {
    ok: true,
    isIndex: true,
    children: [
      { digest: AMD, platform: "linux/amd64" },
      { digest: ARM, platform: "linux/arm64/v8" },
    ],
  },
];

/** A registry where the tag names `tag`; a manifest not given is deleted (404). */
function registry(tag: string, isIndex: boolean, manifests: [string, ManifestInfo][]): Resolver {
  const known = new Map(manifests);
  const moved: TagResolution = { ok: true, tag: { digest: tag, sameImageDigests: [], isIndex } };
  return {
    name: "registry",
    resolveTag: async () => moved,
    async inspectManifest(_ref, digest) {
      return known.get(digest) ?? { ok: false, reason: "manifest unknown (404)", missing: true };
    },
    describeImage: async () => ({ ok: false, reason: "not asked" }),
  };
}

async function verdict(kubectl: Kubectl, tag: string, isIndex: boolean, manifests: [string, ManifestInfo][]) {
  const { plan } = await makePlan(kubectl, async () => registry(tag, isIndex, manifests), {
    scope: { allNamespaces: true },
    strategy: "auto",
    concurrency: 4,
    now: Date.now(),
  });
  return { container: plan.pods[0]!.containers[0]!, action: plan.pods[0]!.action };
}

describe("a running index whose one image names no platform, against a tag's index of platforms", () => {
  it("on an arm64 node: compared with the tag's arm64 image, read before the nodes are", async () => {
    const rebuilt = [lone, buildx, image(LONE, "v1"), image(AMD, "v2"), image(ARM, "v2 arm")];
    expect((await verdict(onePodPlanKubectl(RUNNING, "arm64"), TAG, true, rebuilt)).container).toMatchObject({
      status: "stale",
    });
    const same = [lone, buildx, image(LONE, "v1"), image(AMD, "v2"), image(ARM, "v1")];
    expect((await verdict(onePodPlanKubectl(RUNNING, "arm64"), TAG, true, same)).container).toMatchObject({
      status: "current",
    });
  });

  it("the tag now one amd64 image, on an amd64 node: compared with it", async () => {
    const M2 = digestOf("amd64 image, v2");
    const manifests = [lone, image(LONE, "v1", "linux/amd64"), image(M2, "v2", "linux/amd64")];
    expect(
      (await verdict(onePodPlanKubectl(RUNNING, "amd64"), M2, false, manifests)).container,
    ).toMatchObject({
      status: "stale",
    });
  });
});

describe("a running manifest the registry deleted, the tag now one image, on a 32-bit ARM node", () => {
  const OLD = digestOf("the arm image, deleted since");
  const M2 = digestOf("the tag's image now");

  it("an amd64 image: the node cannot run it (unknown, nothing restarted)", async () => {
    const { container, action } = await verdict(onePodPlanKubectl(OLD, "arm"), M2, false, [
      image(M2, "v2", "linux/amd64"),
    ]);
    expect(container).toMatchObject({ status: "unknown" });
    expect(container.reason).toContain("linux/arm");
    expect(action).toBe("none");
  });

  it("an arm/v7 image: its digest decides, as where the variant is all that is not known", async () => {
    const { container } = await verdict(onePodPlanKubectl(OLD, "arm"), M2, false, [
      image(M2, "v2", "linux/arm/v7"),
    ]);
    expect(container).toMatchObject({ status: "stale" });
  });
});
