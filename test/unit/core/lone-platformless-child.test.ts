/**
 * An index whose only child names no platform (crane, regctl and oras build such) stands for the platform its
 * image's config states, as containerd matches it (by its config: a node of another platform finds nothing to
 * run), or for any platform when the config states none. Against an index that names platforms, in either
 * direction, and against a platform manifest (CRI-O), it is compared with the image for the node's platform,
 * never taken for a platform the tag lost.
 */
import { describe, expect, it } from "vitest";
import type { IndexChild, ManifestInfo } from "../../../src/core/resolution.js";
import { judgeRunningDigest } from "../../../src/core/running-image.js";
import { digestOf } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const repository = "registry.example/app";
const [RUNNING, TAG] = [digestOf("running index"), digestOf("tag's index")];
const [LONE, AMD, ARM] = [digestOf("lone child"), digestOf("amd64 child"), digestOf("arm64 child")];
const index = (digest: string, children: IndexChild[]): [string, ManifestInfo] => [
  digest,
  { ok: true, isIndex: true, children },
];
const named: IndexChild[] = [
  { digest: AMD, platform: "linux/amd64" },
  { digest: ARM, platform: "linux/arm64/v8" },
];
const image = (digest: string, config: string) => singleManifest(digest, { config: digestOf(config) });

function judge(running: string, manifests: [string, ManifestInfo][]) {
  return judgeRunningDigest(
    { digest: running, repository },
    repository,
    { digest: TAG, sameImageDigests: [], isIndex: true },
    new Map(manifests),
    "linux/amd64",
  );
}

/** A container running `running` on a node of `node`, against the tag's index TAG. */
function judgeOn(node: string | null | undefined, running: string, manifests: [string, ManifestInfo][]) {
  return judgeRunningDigest(
    { digest: running, repository },
    repository,
    { digest: TAG, sameImageDigests: [], isIndex: true },
    new Map(manifests),
    node,
  );
}

describe("an index's only child without a platform", () => {
  const runningLone = index(RUNNING, [{ digest: LONE, platform: null }]);
  const tagLone = index(TAG, [{ digest: LONE, platform: null }]);

  it("running, against the tag's index of platforms: compared with the node's platform's image", () => {
    const tagNamed = index(TAG, named);
    const moved = [runningLone, tagNamed, image(LONE, "v1"), image(AMD, "v2"), image(ARM, "v2 arm")];
    expect(judge(RUNNING, moved)).toEqual({ status: "stale", reason: "" });
    const same = [runningLone, tagNamed, image(LONE, "v1"), image(AMD, "v1"), image(ARM, "v2 arm")];
    expect(judge(RUNNING, same)).toEqual({ status: "current", reason: "" });
  });

  it("in the tag's index, against a running index of platforms: stands for the node's platform", () => {
    const runningNamed = index(RUNNING, named);
    const same = [runningNamed, tagLone, image(AMD, "v1"), image(ARM, "v1 arm"), image(LONE, "v1")];
    expect(judge(RUNNING, same)).toEqual({ status: "current", reason: "" });
    const moved = [runningNamed, tagLone, image(AMD, "v1"), image(ARM, "v1 arm"), image(LONE, "v2")];
    expect(judge(RUNNING, moved)).toEqual({ status: "stale", reason: "" });
  });

  it("in the tag's index, against a running platform manifest (CRI-O): compared by config", () => {
    const platformManifest = singleManifest(AMD, { config: digestOf("v1"), platform: "linux/amd64" });
    expect(judge(AMD, [tagLone, platformManifest, image(LONE, "v1")])).toMatchObject({ status: "current" });
    expect(judge(AMD, [tagLone, platformManifest, image(LONE, "v2")])).toEqual({
      status: "stale",
      reason: "",
    });
  });

  it("is named as an image without a platform where a read of it fails", () => {
    const OTHER = digestOf("tag's lone child");
    const tagOther = index(TAG, [{ digest: OTHER, platform: null }]);
    const failed: ManifestInfo = { ok: false, reason: "503 Service Unavailable" };
    expect(judge(RUNNING, [runningLone, tagOther, [LONE, failed], image(OTHER, "v2")])).toEqual({
      status: "unknown",
      reason: "could not read the running index's image without a platform: 503 Service Unavailable",
    });
    const nested = index(OTHER, []);
    expect(judge(RUNNING, [runningLone, tagOther, image(LONE, "v1"), nested])).toEqual({
      status: "unknown",
      reason: "the tag's image without a platform is itself an index",
    });
  });
});

it("beside one platform's image in the running index, keeps that platform from being taken for the node's", () => {
  // A tag published again as one linux/amd64 image: an arm64 node runs the platformless child, and the tag
  // has nothing for it, so the node is asked for rather than taken to be amd64.
  const running = index(RUNNING, [
    { digest: AMD, platform: "linux/amd64" },
    { digest: LONE, platform: null },
  ]);
  const tagImage = singleManifest(TAG, { config: digestOf("v2"), platform: "linux/amd64" });
  const judgeOn = (nodePlatform: string | null | undefined) =>
    judgeRunningDigest(
      { digest: RUNNING, repository },
      repository,
      { digest: TAG, sameImageDigests: [], isIndex: false },
      new Map([running, tagImage, image(AMD, "v1"), image(LONE, "v1 arm")]),
      nodePlatform,
    );
  expect(judgeOn(undefined)).toMatchObject({ needNodePlatform: true });
  expect(judgeOn(null)).toMatchObject({ status: "unknown", noImageToRun: true });
  expect(judgeOn("linux/arm64/v8")).toMatchObject({ status: "unknown", noImageToRun: true });
  expect(judgeOn("linux/amd64")).toEqual({ status: "stale", reason: "" });
});

describe("a running lone child against a tag's index that names the node's platform beside a lone child", () => {
  // containerd and CRI-O rank an image without a platform last: a new pod on an amd64 node runs AMD.
  const LONE2 = digestOf("tag's lone child");
  const runningLone = index(RUNNING, [{ digest: LONE, platform: null }]);
  const tag = index(TAG, [
    { digest: AMD, platform: "linux/amd64" },
    { digest: LONE2, platform: null },
  ]);
  const on = (node: string | null, manifests: [string, ManifestInfo][]) => judgeOn(node, RUNNING, manifests);

  it("is compared with the tag's image for the node's platform, not its image without one", () => {
    const same = [runningLone, tag, image(LONE, "v1"), image(AMD, "v1"), image(LONE2, "v2 generic")];
    expect(on("linux/amd64", same)).toMatchObject({ status: "current" });
    const rebuilt = [runningLone, tag, image(LONE, "v1"), image(AMD, "v2"), image(LONE2, "v1")];
    expect(on("linux/amd64", rebuilt)).toMatchObject({ status: "stale" });
  });

  it("is judged by no image while the node's platform cannot be known", () => {
    const same = [runningLone, tag, image(LONE, "v1"), image(AMD, "v1"), image(LONE2, "v2 generic")];
    expect(on(null, same)).toEqual({ status: "unknown", reason: expect.any(String) });
    // And where the tag has no image without a platform, the node may be one it has nothing for: held.
    const named = index(TAG, [
      { digest: AMD, platform: "linux/amd64" },
      { digest: ARM, platform: "linux/arm64/v8" },
    ]);
    const without = [runningLone, named, image(LONE, "v1"), image(AMD, "v1"), image(ARM, "v1 arm")];
    expect(on(null, without)).toMatchObject({ status: "unknown", noImageToRun: true });
  });
});

it("an index pushed again around the same images, one without a platform: current, no manifest read", () => {
  const children: IndexChild[] = [
    { digest: AMD, platform: "linux/amd64" },
    { digest: LONE, platform: null },
  ];
  expect(
    judgeRunningDigest(
      { digest: RUNNING, repository },
      repository,
      { digest: TAG, sameImageDigests: [], isIndex: true },
      new Map([index(RUNNING, children), index(TAG, children)]),
      undefined,
    ),
  ).toEqual({ status: "current", reason: "" });
});

describe("the tag's lone child whose config states another platform than the node's", () => {
  // A multi-arch tag pushed again as an index of one entry without a platform, its image for linux/amd64.
  const tagAmdOnly = index(TAG, [{ digest: LONE, platform: null }]);
  const amdImage = singleManifest(LONE, { config: digestOf("v2"), platform: "linux/amd64" });

  it("is no image for an arm64 node that ran the running index's arm64 image (containerd)", () => {
    const running = [index(RUNNING, named), image(AMD, "v1"), image(ARM, "v1 arm"), tagAmdOnly, amdImage];
    expect(judgeOn(undefined, RUNNING, running)).toMatchObject({ needNodePlatform: true });
    expect(judgeOn("linux/arm64/v8", RUNNING, running)).toEqual({
      status: "unknown",
      reason: "the tag no longer has an image for linux/arm64/v8",
      noImageToRun: true,
    });
    expect(judgeOn("linux/amd64", RUNNING, running)).toEqual({ status: "stale", reason: "" });
  });

  it("is no image for a running arm64 platform manifest (CRI-O)", () => {
    const armManifest = singleManifest(ARM, { config: digestOf("v1 arm"), platform: "linux/arm64/v8" });
    expect(judgeOn("linux/arm64/v8", ARM, [tagAmdOnly, armManifest, amdImage])).toMatchObject({
      status: "unknown",
      noImageToRun: true,
    });
  });

  it("against the running index's lone child for arm64, is never stale: no image once the node is read", () => {
    const OLD = digestOf("old lone child");
    const runningLone = index(RUNNING, [{ digest: OLD, platform: null }]);
    const armImage = singleManifest(OLD, { config: digestOf("v1 arm"), platform: "linux/arm64/v8" });
    const manifests = [runningLone, armImage, tagAmdOnly, amdImage];
    expect(judgeOn(undefined, RUNNING, manifests)).toMatchObject({ needNodePlatform: true });
    expect(judgeOn("linux/arm64/v8", RUNNING, manifests)).toEqual({
      status: "unknown",
      reason: "the tag no longer has an image for linux/arm64/v8",
      noImageToRun: true,
    });
  });

  it("is read with its platform first: until then nothing is decided", () => {
    const unread = singleManifest(LONE, { config: digestOf("v2"), platform: undefined });
    const manifests = [index(RUNNING, named), image(AMD, "v1"), image(ARM, "v1 arm"), tagAmdOnly, unread];
    expect(judgeOn(undefined, RUNNING, manifests)).toEqual({
      needs: [{ repository, digest: LONE, platform: true }],
    });
  });

  it("whose config states no platform stands for any: an arm64 node's image moved", () => {
    const anyImage = singleManifest(LONE, { config: digestOf("v2"), platform: null });
    const running = [index(RUNNING, named), image(AMD, "v1"), image(ARM, "v1 arm"), tagAmdOnly, anyImage];
    expect(judgeOn("linux/arm64/v8", RUNNING, running)).toEqual({ status: "stale", reason: "" });
  });
});

describe("the tag's lone child that is no image (an SBOM beside the images), for a platform the tag dropped", () => {
  // The tag pushed again for arm64 only, with an artifact entry without a platform (podman manifest add
  // --artifact): containerd matches such an entry by its config, `{}`, so no node runs it.
  const artifact: [string, ManifestInfo] = [
    LONE,
    {
      ok: true,
      isIndex: false,
      config: digestOf("{}"),
      platform: null,
      notImage: "an SBOM (application/spdx+json)",
    },
  ];
  const tagArmAndSbom = index(TAG, [
    { digest: digestOf("v2 arm"), platform: "linux/arm64/v8" },
    { digest: LONE, platform: null },
  ]);
  const armImage = singleManifest(digestOf("v2 arm"), {
    config: digestOf("v2 arm config"),
    platform: "linux/arm64/v8",
  });
  const dropped = {
    status: "unknown",
    reason: "the tag no longer has an image for linux/amd64",
    noImageToRun: true,
  };

  it("is no image for an amd64 node's running platform manifest (CRI-O)", () => {
    const amdManifest = singleManifest(AMD, { config: digestOf("v1"), platform: "linux/amd64" });
    expect(judgeOn("linux/amd64", AMD, [tagArmAndSbom, armImage, artifact, amdManifest])).toEqual(dropped);
  });

  it("is no image for an amd64 node's running index (containerd)", () => {
    const running = [
      index(RUNNING, named),
      image(AMD, "v1"),
      image(ARM, "v1 arm"),
      tagArmAndSbom,
      armImage,
      artifact,
    ];
    expect(judgeOn("linux/amd64", RUNNING, running)).toEqual(dropped);
  });

  it("is no image for a running image whose config states no platform, on an amd64 node", () => {
    const platformless = singleManifest(AMD, { config: digestOf("v1"), platform: null });
    expect(judgeOn("linux/amd64", AMD, [tagArmAndSbom, armImage, artifact, platformless])).toEqual(dropped);
  });
});

describe("every platform rebuilt, an SBOM entry beside the images in both indexes", () => {
  const sbom = (digest: string): [string, ManifestInfo] => [
    digest,
    { ok: true, isIndex: false, config: digestOf(`{} ${digest}`), platform: null, notImage: "an SBOM" },
  ];
  const [SBOM1, SBOM2, AMD2, ARM2] = ["sbom v1", "sbom v2", "amd64 v2", "arm64 v2"].map(digestOf);
  const manifests = [
    index(RUNNING, [...named, { digest: SBOM1!, platform: null }]),
    index(TAG, [
      { digest: AMD2!, platform: "linux/amd64" },
      { digest: ARM2!, platform: "linux/arm64/v8" },
      { digest: SBOM2!, platform: null },
    ]),
    image(AMD, "v1"),
    image(ARM, "v1 arm"),
    sbom(SBOM1!),
    singleManifest(AMD2!, { config: digestOf("v2"), platform: "linux/amd64" }),
    singleManifest(ARM2!, { config: digestOf("v2 arm"), platform: "linux/arm64/v8" }),
    sbom(SBOM2!),
  ];

  it("is stale without the node's platform, and where the nodes cannot be read (the CronJob)", () => {
    expect(judgeOn(undefined, RUNNING, manifests)).toEqual({ status: "stale", reason: "" });
    expect(judgeOn(null, RUNNING, manifests)).toEqual({ status: "stale", reason: "" });
  });

  it("is current where only the SBOM was replaced", () => {
    const onlySbom = [
      index(RUNNING, [...named, { digest: SBOM1!, platform: null }]),
      index(TAG, [...named, { digest: SBOM2!, platform: null }]),
      image(AMD, "v1"),
      image(ARM, "v1 arm"),
      sbom(SBOM1!),
      sbom(SBOM2!),
    ];
    expect(judgeOn(undefined, RUNNING, onlySbom)).toMatchObject({ status: "current" });
    expect(judgeOn(null, RUNNING, onlySbom)).toMatchObject({ status: "current" });
  });
});
