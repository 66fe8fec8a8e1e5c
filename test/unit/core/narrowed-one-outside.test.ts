/**
 * Under auto with -l, a Deployment with exactly one pod outside the selection is evicted pod by pod, not
 * rolled: its rollout would replace a pod this plan never judged (held, --min-age, on a node the tag
 * dropped).
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
const pod = (name: string) =>
  makePod({
    name,
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
  });

it("auto evicts a 3-replica Deployment of which -l selected 2 pods: its rollout would replace the third", () => {
  const decided = decidePlan({
    resolver: "registry",
    pods: ["web-7d9c8b-a", "web-7d9c8b-b"].map(pod),
    owners,
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
  });
  const plan = decideRestarts(decided, {
    strategy: "auto",
    owners,
    workloads: new Map([["default/Deployment/web", settledDeployment("web", "default", 3)]]),
    unreadable: new Map(),
    narrowed: true,
  });
  expect(plan.pods[0]!.restart).toMatchObject({
    strategy: "evict",
    reason:
      "Deployment/web's rollout would also replace its 1 pod outside the selection, which this plan did not judge: evicted one at a time",
  });
});
