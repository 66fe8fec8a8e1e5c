/**
 * A CRI-O node runs a platform manifest; the tag now names an index whose image for that platform could not
 * be read (a 503, or a 404: the registry lost it). A failed read proves nothing: the pod is not restarted.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { ManifestInfo, Resolution } from "../../../src/core/resolution.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const INDEX = digestOf("index v2");
const A1 = digestOf("amd64 v1");
const A2 = digestOf("amd64 v2");
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);

function planWith(failure: ManifestInfo) {
  const resolution: Resolution = {
    tag: { ok: true, tag: { digest: INDEX, sameImageDigests: [], isIndex: true } },
    manifests: new Map<string, ManifestInfo>([
      [INDEX, { ok: true, isIndex: true, children: [{ digest: A2, platform: "linux/amd64" }] }],
      singleManifest(A1), // what the CRI-O node runs: linux/amd64
      [A2, failure], // the tag's image for linux/amd64: its read failed
    ]),
  };
  return decidePlan({
    resolver: "registry",
    owners,
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
    pods: [
      makePod({
        name: "web-7d9c8b-x2x9q",
        runtime: "cri-o",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "nginx:latest", runningDigest: A1 }],
      }),
    ],
  }).pods[0]!;
}

describe("a CRI-O pod on a platform manifest, the tag's image for its platform unreadable", () => {
  it.each<[string, ManifestInfo]>([
    ["503", { ok: false, reason: "the registry answered 503" }],
    ["404", { ok: false, reason: "not found (404)", missing: true }],
  ])("%s: unknown, not restarted", (_, failure) => {
    const pod = planWith(failure);
    expect(pod.action).not.toBe("delete");
    expect(pod.containers[0]).toMatchObject({
      status: "unknown",
      reason: `could not read the tag's image for linux/amd64: ${failure.ok ? "" : failure.reason}`,
    });
  });
});
