/**
 * A pod the plan leaves until the tag moves (a rollout of this tool already brought it back on the old
 * digest) beside a sibling stale on another old digest: rolling the workload would replace the held pod in
 * vain once more, so the sibling is evicted instead, as beside an opted-out pod.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import { podsToRestart } from "../../../src/core/plan.js";
import type { Resolution } from "../../../src/core/resolution.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import { digestOf, makePod, makeReplicaSet, settledDeployment } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const D1 = digestOf("web v1");
const D0 = digestOf("web v0");
const NEW = digestOf("web v2");
const nginx = "docker.io/library/nginx:latest";
const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);
const resolution: Resolution = {
  tag: { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
  manifests: new Map([singleManifest(D0), singleManifest(D1), singleManifest(NEW)]),
};
const web = settledDeployment("web", "default", 2);
// The template (so every pod) carries what this tool's last rollout was for: D1 → NEW.
const annotations = { "kubectl-autoupdate/restarted-for": `app=${D1}>${NEW}` };
const pod = (name: string, node: string, runningDigest: string) =>
  makePod({
    name,
    node,
    owner: rs,
    annotations,
    containers: [{ name: "app", image: "nginx:latest", runningDigest, imagePullPolicy: "IfNotPresent" }],
  });

describe("a held pod in a workload that is rolled out", () => {
  it("is not replaced by a rollout for its sibling: auto evicts the sibling", () => {
    // node-1 started its cached D1 again (held); node-2 cached an older D0 (not in the record: stale).
    const held = pod("web-7d9c8b-aaaaa", "node-1", D1);
    const other = pod("web-7d9c8b-bbbbb", "node-2", D0);
    const decided = decidePlan({
      resolver: "registry",
      pods: [held, other],
      owners,
      resolutions: new Map([[nginx, resolution]]),
    });
    const plan = decideRestarts(decided, {
      strategy: "auto",
      owners,
      workloads: new Map([["default/Deployment/web", web]]),
      unreadable: new Map(),
    });
    const [a, b] = plan.pods;
    // What the plan prints for the first pod: skip, left until the tag moves.
    expect(a).toMatchObject({ action: "skip", reason: expect.stringContaining("left until the tag moves") });
    // What apply does with the second: patch Deployment/web's template, which replaces web-7d9c8b-aaaaa too.
    expect(podsToRestart(plan).map((p) => p.name)).toEqual(["web-7d9c8b-bbbbb"]);
    // The plan must not both leave a pod and roll the workload that replaces it.
    expect(b!.restart?.strategy).toBe("evict");
  });
});
