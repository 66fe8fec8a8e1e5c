/**
 * Under --strategy rollout and -l, a Deployment with an opted-out pod outside the selection is skipped by the
 * plan ("use --strategy evict"): its rollout would replace that pod, and apply's check before the patch
 * refuses it, so a plan printing it would print a rollout apply will not make.
 */
import { expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { Resolution } from "../../../src/core/resolution.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import { digestOf, makePod, makeReplicaSet, settledDeployment } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);
const resolution: Resolution = {
  tag: { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
  manifests: new Map([singleManifest(OLD), singleManifest(NEW)]),
};

it("--strategy rollout under -l: an opted-out pod outside the selection keeps the Deployment from rolling", () => {
  const decided = decidePlan({
    resolver: "registry",
    pods: [
      makePod({
        name: "web-7d9c8b-a",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
      }),
    ],
    owners,
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
  });
  const plan = decideRestarts(decided, {
    strategy: "rollout",
    owners,
    workloads: new Map([["default/Deployment/web", settledDeployment("web", "default", 2)]]),
    unreadable: new Map(),
    narrowed: true,
    optedOutElsewhere: new Map([["default/Deployment/web", ["web-7d9c8b-b"]]]),
  });
  expect(plan.pods[0]).toMatchObject({
    action: "skip",
    reason:
      "Deployment/web's rollout would also replace web-7d9c8b-b, opted out with kubectl-autoupdate/ignore=true: use --strategy evict",
  });
});
