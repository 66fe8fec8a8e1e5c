/**
 * --min-age holds a pod whose new image is too young; its Deployment's rollout, chosen for a sibling that is
 * stale only on an image old enough, would replace it too.
 */
import { expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { Resolution } from "../../../src/core/resolution.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import { digestOf, makePod, makeReplicaSet, settledDeployment } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web", "default")]);

function moved(oldDigest: string, newDigest: string, created: string): Resolution {
  return {
    tag: { ok: true, tag: { digest: newDigest, sameImageDigests: [], isIndex: false } },
    manifests: new Map([singleManifest(oldDigest), singleManifest(newDigest)]),
    newImage: { digest: newDigest, description: { ok: true, created, labels: {} } },
  };
}

const deployment = settledDeployment("web", "default", 2);

it("a pod held by --min-age keeps its Deployment from rolling for a sibling: auto evicts the sibling alone", () => {
  const [APP_OLD, APP_NEW] = [digestOf("app v1"), digestOf("app v2, built 3 minutes ago")];
  const [SIDE_OLD, SIDE_NEW] = [digestOf("side v1"), digestOf("side v2, built 2 days ago")];
  const containers = (app: string) => [
    { name: "app", image: "registry.example/app:main", runningDigest: app },
    { name: "side", image: "registry.example/side:stable", runningDigest: SIDE_OLD },
  ];
  // The older pod is stale on both images, app's too young; one made since app moved (a scale-up) is stale
  // on side alone, which is old enough.
  const decided = decidePlan({
    resolver: "registry",
    pods: [
      makePod({ name: "web-7d9c8b-old", owner: rs, containers: containers(APP_OLD) }),
      makePod({ name: "web-7d9c8b-new", owner: rs, containers: containers(APP_NEW) }),
    ],
    owners,
    resolutions: new Map([
      ["registry.example/app:main", moved(APP_OLD, APP_NEW, "2026-11-30T11:57:00Z")],
      ["registry.example/side:stable", moved(SIDE_OLD, SIDE_NEW, "2026-11-28T12:00:00Z")],
    ]),
    nodePlatforms: new Map(),
    minAgeMs: 10 * 60_000,
    now: Date.parse("2026-11-30T12:00:00Z"),
  });
  expect(decided.pods.map((p) => [p.name, p.action, p.reason])).toEqual([
    ["web-7d9c8b-old", "skip", "new image is 3m old, --min-age 10m"],
    ["web-7d9c8b-new", "delete", ""],
  ]);
  const input = {
    workloads: new Map([["default/Deployment/web", deployment]]),
    unreadable: new Map(),
    owners,
  };
  const why = "Deployment/web's rollout would also replace web-7d9c8b-old, held by --min-age";
  expect(decideRestarts(decided, { strategy: "auto", ...input }).pods[1]!.restart).toMatchObject({
    strategy: "evict",
    reason: `${why}: evicted one at a time`,
  });
  expect(decideRestarts(decided, { strategy: "rollout", ...input }).pods[1]).toMatchObject({
    action: "skip",
    reason: `${why}: use --strategy evict`,
  });
});
