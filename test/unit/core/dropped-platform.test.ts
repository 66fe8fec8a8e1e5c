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
