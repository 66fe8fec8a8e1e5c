/**
 * Pods share verdicts by a key of what the decision reads, the running repository among it. A pod whose
 * runtime names the old digest in another repository proves nothing stale and is left, even after a pod on
 * the same image and digest from the tag's own repository was judged stale.
 */
import { expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { tagAt } from "../../support/resolutions.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");

it("a pod running the old digest named in another repository is not restarted beside a stale one", () => {
  const owner = { kind: "ReplicaSet", name: "web-7d9c8b" };
  const fromHub = makePod({
    name: "web-7d9c8b-a",
    owner,
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
  });
  const fromElsewhere = makePod({
    name: "web-7d9c8b-b",
    owner,
    containers: [{ name: "app", image: "nginx:latest", imageID: `mirror.example.com/library/nginx@${OLD}` }],
  });
  const pods = decidePlan({
    resolver: "registry",
    owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
    resolutions: new Map([["docker.io/library/nginx:latest", tagAt(NEW, OLD)]]),
    pods: [fromHub, fromElsewhere],
  }).pods;
  expect(pods[0]!.action).toBe("delete");
  expect(pods[1]!.action).not.toBe("delete");
  expect(pods[1]!.containers[0]).toMatchObject({
    status: "unknown",
    reason: "runs an image from mirror.example.com/library/nginx, not from docker.io/library/nginx",
  });
});
