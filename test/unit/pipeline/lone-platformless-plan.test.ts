/**
 * A running index whose only image names no platform, against a tag's index that now names platforms,
 * through the whole plan: its manifests are read in rounds before the nodes are, and none after, so every
 * image a node of any platform could get is read first.
 */
import { describe, expect, it } from "vitest";
import type { Kubectl } from "../../../src/adapters/kubectl.js";
import type { Resolver } from "../../../src/adapters/resolver.js";
import type { ManifestInfo, TagResolution } from "../../../src/core/resolution.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { onePodPlanKubectl } from "../../support/plan-kubectl.js";
import { digestOf } from "../../support/pods.js";

const [RUNNING, LONE] = [digestOf("crane-built index"), digestOf("its one image, no platform")];
const [TAG, AMD, LONE2] = [digestOf("new index"), digestOf("amd64 image"), digestOf("tag's lone image")];

/** An image whose config states no platform (what a platform's read of it finds). */
const image = (digest: string, config: string): [string, ManifestInfo] => [
  digest,
  { ok: true, isIndex: false, config: digestOf(config), platform: null },
];
const index = (digest: string, ...children: [string, string | null][]): [string, ManifestInfo] => [
  digest,
  { ok: true, isIndex: true, children: children.map(([child, platform]) => ({ digest: child, platform })) },
];
const running = index(RUNNING, [LONE, null]);
const tagIndex = index(TAG, [AMD, "linux/amd64"], [LONE2, null]);

function kubectlOn(architecture: string): Kubectl {
  return onePodPlanKubectl(RUNNING, architecture);
}

function registry(manifests: [string, ManifestInfo][]): Resolver {
  const known = new Map(manifests);
  const moved: TagResolution = { ok: true, tag: { digest: TAG, sameImageDigests: [], isIndex: true } };
  return {
    name: "registry",
    resolveTag: async () => moved,
    inspectManifest: async (_ref, digest) =>
      known.get(digest) ?? { ok: false, reason: "manifest unknown (404)", missing: true },
    describeImage: async () => ({ ok: false, reason: "not asked" }),
  };
}

async function verdict(architecture: string, manifests: [string, ManifestInfo][]) {
  const { plan } = await makePlan(kubectlOn(architecture), async () => registry(manifests), {
    scope: { allNamespaces: true },
    strategy: "auto",
    concurrency: 4,
    now: Date.now(),
  });
  const { status, reason } = plan.pods[0]!.containers[0]!;
  return { status, reason };
}

describe("the tag now names amd64 beside an image without a platform", () => {
  it("an amd64 node's image rebuilt: stale", async () => {
    const rebuilt = [running, tagIndex, image(LONE, "v1"), image(AMD, "v2"), image(LONE2, "v2 generic")];
    expect(await verdict("amd64", rebuilt)).toEqual({ status: "stale", reason: "" });
  });

  it("an amd64 node's image the running one: current, whatever the tag's image without a platform is", async () => {
    const same = [running, tagIndex, image(LONE, "v1"), image(AMD, "v1"), image(LONE2, "v2 generic")];
    expect(await verdict("amd64", same)).toEqual({ status: "current", reason: "" });
  });
});

describe("the tag now names arm64 too, beside images the running index named", () => {
  const [NAMED_RUNNING, A, A2, R] = ["running amd64 + lone", "amd64 v1", "amd64 v2", "arm64"].map(digestOf);
  const runningNamed = index(NAMED_RUNNING!, [A!, "linux/amd64"], [LONE, null]);
  const tagNamed = index(TAG, [A2!, "linux/amd64"], [R!, "linux/arm64/v8"], [LONE2, null]);

  it("an amd64 node's named image rebuilt: stale, every image it could need read before the nodes", async () => {
    const manifests = [
      runningNamed,
      tagNamed,
      image(A!, "v1"),
      image(A2!, "v2"),
      image(R!, "arm"),
      image(LONE, "l1"),
      image(LONE2, "l2"),
    ];
    const { plan } = await makePlan(
      onePodPlanKubectl(NAMED_RUNNING!, "amd64"),
      async () => registry(manifests),
      {
        scope: { allNamespaces: true },
        strategy: "auto",
        concurrency: 4,
        now: Date.now(),
      },
    );
    const { status, reason } = plan.pods[0]!.containers[0]!;
    expect({ status, reason }).toEqual({ status: "stale", reason: "" });
  });
});

describe("the tag's lone image is for linux/amd64; the running lone image's platform cannot be learned", () => {
  const [OLD_LONE, NEW_LONE] = [digestOf("old lone image"), digestOf("new lone image, amd64")];
  type Entry = { children: [string, string | null][] } | { config: string; platform: string | null };
  const entries: Record<string, Entry> = {
    [RUNNING]: { children: [[OLD_LONE, null]] },
    [TAG]: { children: [[NEW_LONE, null]] },
    [NEW_LONE]: { config: "v2 amd64", platform: "linux/amd64" },
  };
  /** As the registry resolver reads them: a single manifest's platform only when asked for; 404 for the rest. */
  const reading = (all: Record<string, Entry>): Resolver => ({
    name: "registry",
    resolveTag: async () => ({ ok: true, tag: { digest: TAG, sameImageDigests: [], isIndex: true } }),
    inspectManifest: async (_ref, digest, _credentials, options) => {
      const entry = all[digest];
      if (!entry) return { ok: false, reason: "manifest unknown (404)", missing: true };
      if ("children" in entry) {
        const children = entry.children.map(([child, platform]) => ({ digest: child, platform }));
        return { ok: true, isIndex: true, children };
      }
      const info: ManifestInfo = { ok: true, isIndex: false, config: digestOf(entry.config) };
      return options?.platform ? { ...info, platform: entry.platform } : info;
    },
    describeImage: async () => ({ ok: false, reason: "not asked" }),
  });
  const statusOn = async (architecture: string, all: Record<string, Entry>) => {
    const { plan } = await makePlan(kubectlOn(architecture), async () => reading(all), {
      scope: { allNamespaces: true },
      strategy: "auto",
      concurrency: 4,
      now: Date.now(),
    });
    return plan.pods[0]!.containers[0]!.status;
  };

  it("lost by the registry (404): the node decides; an arm64 node has no image", async () => {
    expect(await statusOn("arm64", entries)).toBe("unknown");
    expect(await statusOn("amd64", entries)).toBe("stale");
  });

  it("beside an amd64 image the tag rebuilt: every image is read before the nodes, and an amd64 pod is stale", async () => {
    const [AMD_BEFORE, AMD_AFTER] = [digestOf("amd64 v1"), digestOf("amd64 v2")];
    const all: Record<string, Entry> = {
      [RUNNING]: {
        children: [
          [AMD_BEFORE, "linux/amd64"],
          [OLD_LONE, null],
        ],
      },
      [TAG]: {
        children: [
          [AMD_AFTER, "linux/amd64"],
          [NEW_LONE, null],
        ],
      },
      [AMD_BEFORE]: { config: "v1 amd64", platform: "linux/amd64" },
      [AMD_AFTER]: { config: "v2 amd64", platform: "linux/amd64" },
      [OLD_LONE]: { config: "v1 generic", platform: null },
      [NEW_LONE]: { config: "v2 arm64", platform: "linux/arm64/v8" },
    };
    expect(await statusOn("amd64", all)).toBe("stale");
    // An arm64 node ran the lone image; the tag's lone image is for arm64 now, rebuilt.
    expect(await statusOn("arm64", all)).toBe("stale");
  });

  it("its config stating none: the node decides; an arm64 node has no image", async () => {
    const all = { ...entries, [OLD_LONE]: { config: "v1 generic", platform: null } };
    expect(await statusOn("arm64", all)).toBe("unknown");
    expect(await statusOn("amd64", all)).toBe("stale");
  });
});
