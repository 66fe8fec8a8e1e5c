/**
 * A multi-arch tag that no longer has an image for some platform: never stale for a pod that may run on it,
 * and a pod whose node may be such a platform is held, its stale siblings with it.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { ManifestInfo, Resolution } from "../../../src/core/resolution.js";
import { judgeRunningDigest } from "../../../src/core/running-image.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { singleManifest as single } from "../../support/resolutions.js";

const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);
const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };
const nginx = "docker.io/library/nginx:latest";
const side = "docker.io/library/side:main";

describe("a platform the tag dropped, on a node whose platform could not be read (the CronJob has no `get nodes`)", () => {
  const OLD_INDEX = digestOf("index v1: amd64 + arm64");
  const INDEX = digestOf("index v2: arm64 only");
  const ARM = digestOf("arm64, unchanged");
  const nginxResolution: Resolution = {
    tag: { ok: true, tag: { digest: INDEX, sameImageDigests: [], isIndex: true } },
    manifests: new Map<string, ManifestInfo>([
      [INDEX, { ok: true, isIndex: true, children: [{ digest: ARM, platform: "linux/arm64/v8" }] }],
      [
        OLD_INDEX,
        {
          ok: true,
          isIndex: true,
          children: [
            { digest: digestOf("amd64 v1"), platform: "linux/amd64" },
            { digest: ARM, platform: "linux/arm64/v8" },
          ],
        },
      ],
    ]),
  };
  const [SIDE_OLD, SIDE_NEW] = [digestOf("side v1"), digestOf("side v2")];
  const sideResolution: Resolution = {
    tag: { ok: true, tag: { digest: SIDE_NEW, sameImageDigests: [], isIndex: false } },
    manifests: new Map([single(SIDE_OLD), single(SIDE_NEW)]),
  };

  it("a stale sibling container does not get the pod deleted: the node may be the dropped amd64", () => {
    const pod = makePod({
      name: "web-7d9c8b-a",
      owner: rs,
      node: "node-1",
      containers: [
        { name: "app", image: "nginx:latest", runningDigest: OLD_INDEX },
        { name: "side", image: "side:main", runningDigest: SIDE_OLD },
      ],
    });
    const decided = decidePlan({
      resolver: "registry",
      pods: [pod],
      owners,
      resolutions: new Map([
        [nginx, nginxResolution],
        [side, sideResolution],
      ]),
      // `kubectl get nodes` was refused: readNodePlatforms leaves the map empty → null for every node.
      nodePlatforms: new Map(),
    }).pods[0]!;
    expect(decided.containers.map((c) => c.status)).toEqual(["unknown", "stale"]);
    // The replacement may find no image for app on an amd64 node.
    expect(decided).toMatchObject({
      action: "skip",
      reason:
        "container app (nginx:latest): the tag no longer has an image for linux/amd64, and the node's platform is not known, so a new pod could not start it",
    });
  });
});

describe("a running index whose lone platformless child the tag no longer has (index against index)", () => {
  it("on an arm64 node, with an amd64-only tag, is not stale: the replacement would find nothing to run", () => {
    const P = digestOf("platformless child, which an arm64 node runs");
    const OLD_INDEX = digestOf("index of P only");
    const A = digestOf("amd64 only");
    const INDEX = digestOf("index of amd64 only");
    const manifests = new Map<string, ManifestInfo>([
      [OLD_INDEX, { ok: true, isIndex: true, children: [{ digest: P, platform: null }] }],
      [INDEX, { ok: true, isIndex: true, children: [{ digest: A, platform: "linux/amd64" }] }],
    ]);
    const verdict = judgeRunningDigest(
      { digest: OLD_INDEX, repository: "docker.io/library/nginx" },
      "docker.io/library/nginx",
      { digest: INDEX, sameImageDigests: [], isIndex: true },
      manifests,
      "linux/arm64/v8",
    );
    expect(verdict).toEqual({
      status: "unknown",
      reason: "the tag no longer has an image for linux/arm64/v8",
      noImageToRun: true,
    });
  });
});

describe("a running index against a tag that now names one image, on a node whose platform is not known", () => {
  it("marks the verdict as having maybe no image to run, as the index-against-index case does", () => {
    const OLD_INDEX = digestOf("index: amd64 + arm/v7");
    const T = digestOf("the tag now: amd64 v2 alone");
    const manifests = new Map<string, ManifestInfo>([
      [
        OLD_INDEX,
        {
          ok: true,
          isIndex: true,
          children: [
            { digest: digestOf("amd64 v1"), platform: "linux/amd64" },
            { digest: digestOf("arm/v7 v1"), platform: "linux/arm/v7" },
          ],
        },
      ],
      [T, { ok: true, isIndex: false, config: digestOf("config v2"), platform: "linux/amd64" }],
      [digestOf("amd64 v1"), { ok: true, isIndex: false, config: digestOf("config v1") }],
    ]);
    // null: the Node was read, but which 32-bit ARM variant it runs is not known (or it could not be read).
    const verdict = judgeRunningDigest(
      { digest: OLD_INDEX, repository: "docker.io/library/agent" },
      "docker.io/library/agent",
      { digest: T, sameImageDigests: [], isIndex: false },
      manifests,
      null,
    );
    expect(verdict).toEqual({
      status: "unknown",
      reason: "the tag now names an image for linux/amd64 only, and the node's platform is not known",
      noImageToRun: true,
    });
  });
});

describe("a running index whose image for the node's platform is itself an index", () => {
  const NESTED = digestOf("a nested index for amd64");
  const D = digestOf("amd64 manifest");
  const config = digestOf("config");
  const indexOf = (digest: string): ManifestInfo => ({
    ok: true,
    isIndex: true,
    children: [{ digest, platform: "linux/amd64" }],
  });
  const judge = (tag: { digest: string; isIndex: boolean }, manifests: Map<string, ManifestInfo>) =>
    judgeRunningDigest(
      { digest: digestOf("running index"), repository: "docker.io/library/app" },
      "docker.io/library/app",
      { ...tag, sameImageDigests: [] },
      manifests,
      "linux/amd64",
    );

  it("is not compared, against a tag that names one image: unknown, not stale", () => {
    const manifests = new Map<string, ManifestInfo>([
      [digestOf("running index"), indexOf(NESTED)],
      [NESTED, indexOf(D)],
      [D, { ok: true, isIndex: false, config, platform: "linux/amd64" }],
    ]);
    expect(judge({ digest: D, isIndex: false }, manifests)).toEqual({
      status: "unknown",
      reason: "the running index's image for linux/amd64 is itself an index",
    });
  });

  it("is not compared, against a tag's index whose image for it is another nested index: unknown, not stale", () => {
    const OTHER = digestOf("another nested index for amd64, holding the same D");
    const TAG = digestOf("the tag's index");
    const manifests = new Map<string, ManifestInfo>([
      [digestOf("running index"), indexOf(NESTED)],
      [TAG, indexOf(OTHER)],
      [NESTED, indexOf(D)],
      [OTHER, indexOf(D)],
    ]);
    expect(judge({ digest: TAG, isIndex: true }, manifests)).toEqual({
      status: "unknown",
      reason: "the running index's image for linux/amd64 is itself an index",
    });
  });
});
