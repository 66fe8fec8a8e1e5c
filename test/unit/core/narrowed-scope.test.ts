/**
 * Under -l or --field-selector the plan judges only the pods it selects, while a workload's rollout replaces
 * all of its pods: under auto a workload with pods outside the selection is evicted pod by pod, as the plan
 * cannot say those others may go (held until the tag moves, by --min-age, on a node the tag dropped).
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { StrategyName } from "../../../src/core/plan.js";
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

/** The restart of the first pod, with `inScope` of the Deployment's 3 pods selected. */
function restartOf(strategy: StrategyName, inScope: number, narrowed: boolean) {
  const pods = ["web-7d9c8b-a", "web-7d9c8b-b", "web-7d9c8b-c"].slice(0, inScope).map(pod);
  const decided = decidePlan({
    resolver: "registry",
    pods,
    owners,
    resolutions: new Map([["docker.io/library/nginx:latest", resolution]]),
  });
  const plan = decideRestarts(decided, {
    strategy,
    owners,
    workloads: new Map([["default/Deployment/web", settledDeployment("web", "default", 3)]]),
    unreadable: new Map(),
    narrowed,
  });
  return plan.pods[0]!.restart;
}

describe("a workload only part of which a selector chose", () => {
  it("is evicted under auto: its rollout would replace pods the plan did not judge", () => {
    expect(restartOf("auto", 1, true)).toMatchObject({
      strategy: "evict",
      reason:
        "Deployment/web's rollout would also replace its 2 pods outside the selection, which this plan did not judge: evicted one at a time",
    });
  });

  it("is rolled when the selection holds all its pods, or the scope is whole", () => {
    expect(restartOf("auto", 3, true)?.strategy).toBe("rollout");
    expect(restartOf("auto", 1, false)?.strategy).toBe("rollout");
  });

  it("is rolled under --strategy rollout, as asked: its template is the workload's", () => {
    expect(restartOf("rollout", 1, true)?.strategy).toBe("rollout");
  });
});
