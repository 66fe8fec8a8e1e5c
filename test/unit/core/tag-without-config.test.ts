/**
 * The tag now names a single manifest with no image config: nothing a new pod could run. The pod is left,
 * unknown with no image to run, not judged stale and deleted into a replacement that cannot start.
 */
import { expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { ManifestInfo, Resolution } from "../../../src/core/resolution.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");

it("a tag now naming a manifest without an image config: unknown, no image to run, not restarted", () => {
  const resolution: Resolution = {
    tag: { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
    manifests: new Map<string, ManifestInfo>([
      singleManifest(OLD),
      [NEW, { ok: true, isIndex: false, config: null, platform: "linux/amd64" }],
    ]),
  };
  const pod = decidePlan({
    resolver: "registry",
    owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
    pods: [
      makePod({
        name: "web-7d9c8b-x2x9q",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
      }),
    ],
  }).pods[0]!;
  expect(pod.action).not.toBe("delete");
  expect(pod.containers[0]).toMatchObject({
    status: "unknown",
    reason: "the tag's manifest names no image config",
    noImageToRun: true,
  });
});
