/**
 * A running platform manifest (CRI-O runs one) whose config states no platform, against a tag that names an
 * index: only proven stale when none of the index's images has its config and the node can run the tag.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { ManifestInfo, Resolution } from "../../../src/core/resolution.js";
import { judgeRunningDigest, type NodePlatform } from "../../../src/core/running-image.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const repository = "registry.example/app";
const RUNNING = digestOf("app, built without a platform");
const INDEX = digestOf("index v2");
const [AMD, ARM] = [digestOf("app v2 amd64"), digestOf("app v2 arm64")];
const index: [string, ManifestInfo] = [
  INDEX,
  {
    ok: true,
    isIndex: true,
    children: [
      { digest: AMD, platform: "linux/amd64" },
      { digest: ARM, platform: "linux/arm64/v8" },
    ],
  },
];
const running = singleManifest(RUNNING, { config: "sha256:running-config", platform: null });

function judge(manifests: [string, ManifestInfo][], nodePlatform: NodePlatform) {
  return judgeRunningDigest(
    { digest: RUNNING, repository },
    repository,
    { digest: INDEX, sameImageDigests: [], isIndex: true },
    new Map(manifests),
    nodePlatform,
  );
}

describe("a running manifest whose config states no platform, against the tag's index", () => {
  it("reads the index's images first, then is the same image when one has its config", () => {
    expect(judge([index, running], "linux/amd64")).toEqual({
      needs: [
        { repository, digest: AMD, platform: false },
        { repository, digest: ARM, platform: false },
      ],
    });
    const sameAsArm = judge(
      [index, running, singleManifest(AMD), singleManifest(ARM, { config: "sha256:running-config" })],
      "linux/amd64",
    );
    expect(sameAsArm).toMatchObject({ status: "current", reason: expect.stringContaining("the same image") });
  });

  it("another config everywhere: stale where the node's platform has an image, unknown where it has none", () => {
    const all = [index, running, singleManifest(AMD), singleManifest(ARM)];
    expect(judge(all, "linux/amd64")).toEqual({ status: "stale", reason: "" });
    expect(judge(all, "linux/s390x")).toMatchObject({ status: "unknown", noImageToRun: true });
    expect(judge(all, undefined)).toMatchObject({ needNodePlatform: true });
    // A node that could not be read (the CronJob may not get nodes): a new pod might find nothing to run.
    expect(judge(all, null)).toMatchObject({ status: "unknown", noImageToRun: true });
  });

  it("an image of the index that could not be read, or is an index itself, proves nothing", () => {
    const busy: ManifestInfo = { ok: false, reason: "the registry answered 503" };
    expect(judge([index, running, singleManifest(AMD), [ARM, busy]], "linux/amd64")).toMatchObject({
      status: "unknown",
      reason: "could not read the tag's image for linux/arm64/v8: the registry answered 503",
    });
    const platformed = singleManifest(RUNNING, { config: "sha256:running-config", platform: "linux/amd64" });
    const nested: ManifestInfo = { ok: true, isIndex: true, children: [] };
    expect(judge([index, platformed, [AMD, nested]], "linux/amd64")).toMatchObject({ status: "unknown" });
  });
});

it("on a node that could not be read, a stale sibling container does not get the pod restarted", () => {
  const appResolution: Resolution = {
    tag: { ok: true, tag: { digest: INDEX, sameImageDigests: [], isIndex: true } },
    manifests: new Map([index, running, singleManifest(AMD), singleManifest(ARM)]),
  };
  const [SIDE_OLD, SIDE_NEW] = [digestOf("side v1"), digestOf("side v2")];
  const sideResolution: Resolution = {
    tag: { ok: true, tag: { digest: SIDE_NEW, sameImageDigests: [], isIndex: false } },
    manifests: new Map([singleManifest(SIDE_OLD), singleManifest(SIDE_NEW)]),
  };
  const pod = makePod({
    name: "web-7d9c8b-a",
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    node: "node-1",
    containers: [
      { name: "app", image: `${repository}:main`, runningDigest: RUNNING },
      { name: "side", image: "registry.example/side:main", runningDigest: SIDE_OLD },
    ],
  });
  const decided = decidePlan({
    resolver: "registry",
    pods: [pod],
    owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
    resolutions: new Map([
      [`${repository}:main`, appResolution],
      ["registry.example/side:main", sideResolution],
    ]),
    // What a refused `kubectl get nodes` leaves.
    nodePlatforms: new Map(),
  }).pods[0]!;
  expect(decided.containers.map((c) => c.status)).toEqual(["unknown", "stale"]);
  expect(decided.action).toBe("skip");
});
