/** What an evicted or deleted pod's restart records when its replacement comes back on an old digest. */
import { expect, it } from "vitest";
import type { Pod } from "../../../../src/core/k8s.js";
import type { PlanContainer, PlanPod } from "../../../../src/core/plan.js";
import type { CompletedRestart } from "../../../../src/core/restart-outcomes.js";
import { holdRestartedInVain } from "../../../../src/core/restarted-for.js";
import { checkReplacement } from "../../../../src/pipeline/restart/replacement.js";
import type { GroupReporter } from "../../../../src/pipeline/restart/restart-options.js";
import { digestOf } from "../../../support/pods.js";

const [APP0, APP1, SIDE0, SIDE1] = ["app v0", "app v1", "side v0", "side v1"].map(digestOf) as [
  string,
  string,
  string,
  string,
];
const stale = (name: string, running: string, latest: string, pullPolicy: string): PlanContainer => ({
  name,
  init: false,
  image: `shop/${name}:main`,
  ref: `docker.io/shop/${name}:main`,
  runningDigest: running,
  latestDigest: latest,
  status: "stale",
  reason: "",
  pullPolicy,
});

/**
 * What checkReplacement records for `pod`, restarted with `planned`, whose replacement is Ready
 * as `replacement`.
 */
async function recorded(pod: PlanPod, planned: PlanPod[], replacement: Pod) {
  const restarted: CompletedRestart[] = [];
  const reporter = {
    options: { wait: true, clock: { now: () => 0 } },
    restarted: (r: CompletedRestart) => restarted.push(r),
    reportProblem: () => {},
  } as unknown as GroupReporter;
  const before = { ready: 1, live: 1, uids: new Set<string>(), notReady: [] };
  const readiness = {
    snapshot: async () => before,
    controllerNow: async () => null,
    waitFor: async () => ({ ready: [replacement] }),
  };
  await checkReplacement("evict", pod, planned, { readiness, before }, true, reporter);
  return restarted[0]!.replacement as { kind: string; restartedFor?: string };
}

it("only the containers that came back on their old digest are recorded: a sibling stale on another one is still restarted", async () => {
  const rs = { kind: "ReplicaSet", name: "web-1", uid: "uid-rs" };
  const planned = {
    namespace: "shop",
    name: "web-1-a",
    uid: "uid-a",
    controller: rs,
    action: "delete",
    containers: [stale("app", APP0, APP1, "IfNotPresent"), stale("side", SIDE0, SIDE1, "Always")],
    restart: { strategy: "evict", controller: rs, reason: "" },
  } as unknown as PlanPod;
  // The replacement: app started the node's cached image, side pulled its new one.
  const replacement = {
    metadata: { name: "web-1-b", uid: "uid-b" },
    status: {
      containerStatuses: [
        { name: "app", imageID: `docker.io/shop/app@${APP0}` },
        { name: "side", imageID: `docker.io/shop/side@${SIDE1}` },
      ],
    },
  } as unknown as Pod;
  const record = await recorded(planned, [planned], replacement);
  expect(record).toMatchObject({ kind: "problem", restartedFor: `app=${APP0}>${APP1}` });

  const sibling = { ...planned, name: "web-1-c", uid: "uid-c" } as PlanPod;
  const remembered = [{ namespace: "shop", controller: rs, restartedFor: record.restartedFor!, at: 0 }];
  const { pods } = holdRestartedInVain({ resolver: "registry", pods: [sibling] }, remembered, 60_000);
  expect(pods[0]!.action).toBe("delete");
});

it("a replacement on the old digest another pod of its workload runs (under another ReplicaSet) is back on an old digest; another image's is not", async () => {
  const deployment = { kind: "Deployment", name: "web" };
  const pod = (name: string, rs: string, container: PlanContainer) =>
    ({
      namespace: "shop",
      name,
      uid: `uid-${name}`,
      owner: deployment,
      controller: { kind: "ReplicaSet", name: rs, uid: `uid-${rs}` },
      action: "delete",
      containers: [container],
      restart: { strategy: "evict", controller: deployment, reason: "" },
    }) as unknown as PlanPod;
  const OLDER = digestOf("app older");
  // Mid-rollout, one at a time: web-r1-a runs APP0; web-r2-b, the other ReplicaSet's, the node's older image.
  const a = pod("web-r1-a", "web-r1", stale("app", APP0, APP1, "IfNotPresent"));
  const b = pod("web-r2-b", "web-r2", stale("app", OLDER, APP1, "IfNotPresent"));
  // A canary of another image whose old digest is, by chance, the one the replacement runs: no verdict.
  const canary = pod("web-canary-c", "web-canary", {
    ...stale("app", OLDER, APP1, "IfNotPresent"),
    image: "shop/web-canary:main",
    ref: "docker.io/shop/web-canary:main",
  });
  const replacement = {
    metadata: { name: "web-r1-d", uid: "uid-d" },
    status: { containerStatuses: [{ name: "app", imageID: `docker.io/shop/app@${OLDER}` }] },
  } as unknown as Pod;
  const checked = async (planned: PlanPod[]) => (await recorded(a, planned, replacement)).kind;
  expect(await checked([a, b])).toBe("problem");
  expect(await checked([a, canary])).toBe("up");
});

const rs = { kind: "ReplicaSet", name: "web-1", uid: "uid-rs" };
const SIDEX = digestOf("side older, cached on the node");

/** A pod of ReplicaSet web-1 evicted one at a time. */
const rsPod = (name: string, containers: PlanContainer[]) =>
  ({
    namespace: "shop",
    name,
    uid: `uid-${name}`,
    controller: rs,
    action: "delete",
    containers,
    restart: { strategy: "evict", controller: rs, reason: "" },
  }) as unknown as PlanPod;

/** web-1-b, Ready, running app and side on these digests. */
const replacementOn = (app: string, side: string) =>
  ({
    metadata: { name: "web-1-b", uid: "uid-web-1-b" },
    status: {
      containerStatuses: [
        { name: "app", imageID: `docker.io/shop/app@${app}` },
        { name: "side", imageID: `docker.io/shop/side@${side}` },
      ],
    },
  }) as unknown as Pod;

/** What the next run's plan does with `next`, web-1-b as it runs, by what the restart recorded. */
function nextRunAction(next: PlanPod, restartedFor: string | undefined): string {
  const remembered = [{ namespace: "shop", controller: rs, restartedFor: restartedFor!, at: 0 }];
  return holdRestartedInVain({ resolver: "registry", pods: [next] }, remembered, 60_000).pods[0]!.action;
}

it("a replacement back on one old digest and on another cached digest in a second container: both are recorded", async () => {
  const planned = rsPod("web-1-a", [
    stale("app", APP0, APP1, "IfNotPresent"),
    stale("side", SIDE0, SIDE1, "IfNotPresent"),
  ]);
  // app started the node's cached old image; side another image its node had cached.
  const record = await recorded(planned, [planned], replacementOn(APP0, SIDEX));
  expect(record.restartedFor).toContain(`side=${SIDEX}>${SIDE1}`);
  // The next run finds the replacement as it runs: restarting it would start the same two images again.
  const next = rsPod("web-1-b", [
    stale("app", APP0, APP1, "IfNotPresent"),
    stale("side", SIDEX, SIDE1, "IfNotPresent"),
  ]);
  expect(nextRunAction(next, record.restartedFor)).toBe("skip");
});

it("a replacement Ready with app on the new digest and a sibling current in the plan on another (a node's cache): the sibling's move is recorded", async () => {
  // side runs its tag's digest: current.
  const side = { ...stale("side", SIDE1, SIDE1, "IfNotPresent"), status: "current" as const };
  const planned = rsPod("web-1-a", [stale("app", APP0, APP1, "Always"), side]);
  const replacement = replacementOn(APP1, SIDEX);
  const record = await recorded(planned, [planned], replacement);
  expect(record).toEqual({ kind: "up", restartedFor: `side=${SIDEX}>${SIDE1}` });
  // Pulled Always, it runs what the tag named at the pull (moved during the run): nothing to record.
  const pulled = rsPod("web-1-a", [stale("app", APP0, APP1, "Always"), { ...side, pullPolicy: "Always" }]);
  expect(await recorded(pulled, [pulled], replacement)).toEqual({ kind: "up" });
  // The next run finds side stale on the cached digest: restarting would start the same cached image again.
  const next = rsPod("web-1-b", [
    { ...stale("app", APP1, APP1, "Always"), status: "current" },
    stale("side", SIDEX, SIDE1, "IfNotPresent"),
  ]);
  expect(nextRunAction(next, record.restartedFor)).toBe("skip");
});
