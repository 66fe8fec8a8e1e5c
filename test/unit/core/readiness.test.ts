import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import {
  asAvailable,
  backOnOldDigest,
  containersOnOtherDigests,
  desiredPodCount,
  isScaledAway,
  missingPodCount,
  needsNoReplacement,
  notReadyPods,
  type PodWithConditions,
  readyPodCount,
  runsOtherDigest,
  terminatingPods,
  waitingNote,
} from "../../../src/core/readiness.js";
import { digestOf, makePod } from "../../support/pods.js";
import { tagAt } from "../../support/resolutions.js";

describe("after a deletion", () => {
  const OLD = digestOf("v1");
  const NEW = digestOf("v2");
  const rs = { kind: "ReplicaSet", name: "web-7d9c8b", uid: "rs-uid" };
  const planned = decidePlan({
    resolver: "docker",
    owners: indexOwners([]),
    resolutions: new Map([["docker.io/library/nginx:latest", tagAt(NEW, OLD)]]),
    pods: [
      makePod({
        name: "web-7d9c8b-old",
        owner: rs,
        containers: [
          { name: "app", image: "nginx:latest", runningDigest: OLD, imagePullPolicy: "IfNotPresent" },
        ],
      }),
    ],
  }).pods[0]!;

  it("notices a replacement that came back on the old digest (the node's cached image)", () => {
    const cached = makePod({
      name: "web-7d9c8b-new",
      owner: rs,
      containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
    });
    const pulled = makePod({
      name: "web-7d9c8b-new",
      owner: rs,
      containers: [{ name: "app", image: "nginx:latest", runningDigest: NEW }],
    });
    expect(backOnOldDigest(planned.containers, cached)).toBe(
      "container app: the node started its cached image (imagePullPolicy IfNotPresent)",
    );
    expect(backOnOldDigest(planned.containers, pulled)).toBeNull();
  });

  it("a replacement on another digest than the tag's is recorded so; one on a platform's image of the tag's index (CRI-O) is not", () => {
    const [OTHER, PLATFORM] = [digestOf("v0, cached"), digestOf("v2 for amd64")];
    const onIndex = planned.containers.map((c) => ({
      ...c,
      latestImages: `${PLATFORM}+${digestOf("v2 for arm64")}`,
    }));
    const running = (digest: string) =>
      makePod({
        name: "web-7d9c8b-new",
        owner: rs,
        containers: [{ name: "app", image: "nginx:latest", runningDigest: digest }],
      });
    expect(containersOnOtherDigests(onIndex, running(OTHER)).map((c) => c.runningDigest)).toEqual([OTHER]);
    expect(containersOnOtherDigests(onIndex, running(PLATFORM))).toEqual([]);
    expect(containersOnOtherDigests(onIndex, running(NEW))).toEqual([]);
  });

  /** A pod of the ReplicaSet, and one of another controller that no count may take for it. */
  const pod = (name: string, extra = {}) =>
    makePod({ name, owner: rs, containers: [{ name: "app", image: "nginx", runningDigest: NEW }], ...extra });
  const othersPod = makePod({
    name: "other",
    uid: "o",
    owner: { kind: "ReplicaSet", name: "x", uid: "x" },
    containers: [{ name: "a", image: "n", runningDigest: NEW }],
  });

  it("counts the controller's Ready pods, leaving out the deleted one and terminating ones", () => {
    const pods = [
      pod("a", { uid: "a" }),
      pod("b", { uid: "b" }),
      pod("c", { uid: "c", deletionTimestamp: "2026-11-20T11:00:00Z" }),
      pod("d", { uid: "d", phase: "Pending" }),
      othersPod,
    ];
    expect(readyPodCount(pods, "rs-uid")).toBe(2);
    expect(readyPodCount(pods, "rs-uid", "a")).toBe(1);
    // Not Ready, of those that should serve: the Pending one, not the terminating one nor another's pod.
    expect(notReadyPods(pods, "rs-uid")).toEqual(["d"]);
    // A pod that has ended (evicted by its kubelet, Failed) was replaced already: it is not one short.
    expect(notReadyPods([...pods, pod("e", { uid: "e", phase: "Failed" })], "rs-uid")).toEqual(["d"]);
  });

  it("pods missing: what the controller should have less what it made, terminating ones counted, ended ones not", () => {
    const pods = [
      pod("a", { uid: "a" }),
      pod("b", { uid: "b", deletionTimestamp: "2026-11-20T11:00:00Z" }),
      pod("c", { uid: "c", phase: "Failed" }),
      othersPod,
    ];
    expect(missingPodCount(pods, "rs-uid", 3)).toBe(1);
    expect(missingPodCount(pods, "rs-uid", 2)).toBe(0);
    // Scaled down, pods not yet gone: nothing missing.
    expect(missingPodCount(pods, "rs-uid", 1)).toBe(0);
    expect(missingPodCount(pods, "rs-uid", undefined)).toBe(0);

    expect(desiredPodCount("ReplicaSet", { spec: { replicas: 4 } })).toBe(4);
    expect(desiredPodCount("StatefulSet", { spec: {} })).toBe(1);
    expect(desiredPodCount("DaemonSet", { status: { desiredNumberScheduled: 5 } })).toBe(5);
    // A DaemonSet that has not said yet: no count to hold pods by.
    expect(desiredPodCount("DaemonSet", { spec: {} })).toBeUndefined();
  });

  it("a controller scaled down since a pod went needs no replacement only with all it should have Ready, nothing due", () => {
    const rsPods = ["a", "b", "c"].map((name) => pod(name, { uid: name }));
    const gone = { uid: "g", name: "g" };
    const scaled = { desired: 3, counts: { spec: { replicas: 3 } }, liveBefore: 4 };
    // The workload: this ReplicaSet and its Deployment's other one, x.
    const workload = new Set([rs.uid, "x"]);
    const decide = (pods: typeof rsPods, kind = "ReplicaSet", by = scaled, left = gone) =>
      needsNoReplacement(pods, { kind, name: rs.name, uid: rs.uid }, left, by, workload);
    expect(decide(rsPods)).toBe(true);
    // The gone pod, terminating, and a pod that has ended are no pods it keeps.
    const terminating = pod("g", { uid: "g", deletionTimestamp: "2026-11-20T11:00:00Z" });
    expect(decide([...rsPods, terminating, pod("e", { uid: "e", phase: "Failed" })])).toBe(true);
    // Not scaled below what it had; one more still to come; one not Ready.
    expect(decide(rsPods, "ReplicaSet", { ...scaled, liveBefore: 3 })).toBe(false);
    expect(decide(rsPods.slice(0, 2))).toBe(false);
    expect(decide([...rsPods.slice(0, 2), pod("c", { uid: "c", phase: "Pending" })])).toBe(false);
    // Another ReplicaSet's pod starting (a rollout under way): the Deployment is short meanwhile.
    const starting = makePod({
      ...othersPod.metadata,
      name: "new",
      uid: "n",
      owner: { kind: "ReplicaSet", name: "x", uid: "x" },
      phase: "Pending",
      containers: [{ name: "a", image: "n", runningDigest: NEW }],
    });
    expect(decide([...rsPods, starting])).toBe(false);
    // Another workload's pod that the selector finds too (a canary's), not Ready: not this one's to wait for.
    const canary = {
      ...starting,
      metadata: {
        ...starting.metadata,
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "canary", uid: "c", controller: true },
        ],
      },
    };
    expect(decide([...rsPods, canary])).toBe(true);
    // A DaemonSet's count falls with any node that leaves: its successor is taken as due.
    expect(decide(rsPods, "DaemonSet")).toBe(false);
  });

  it("a StatefulSet scaled down needs no successor only of a pod scaled away, and only once it is gone", () => {
    const sts = { kind: "StatefulSet", name: "db", uid: "rs-uid" };
    const workload = new Set([sts.uid]);
    const kept = ["db-0", "db-1"].map((name) => pod(name, { uid: name }));
    const scaled = { desired: 2, counts: { spec: { replicas: 2 } }, liveBefore: 3 };
    // db-2 is beyond the new count: once gone, nothing is due.
    expect(needsNoReplacement(kept, sts, { uid: "db-2", name: "db-2" }, scaled, workload)).toBe(true);
    const terminating = pod("db-2", { uid: "db-2", deletionTimestamp: "2026-11-20T11:00:00Z" });
    const stillThere = [...kept, terminating];
    expect(needsNoReplacement(stillThere, sts, { uid: "db-2", name: "db-2" }, scaled, workload)).toBe(false);
    // db-0 is within it: its successor comes once it is gone, whatever the others are meanwhile.
    const others = ["db-1", "db-2"].map((name) => pod(name, { uid: name }));
    expect(needsNoReplacement(others, sts, { uid: "db-0", name: "db-0" }, scaled, workload)).toBe(false);
  });

  it("a StatefulSet's pod beyond the ordinals its replica count reaches is scaled away: no successor is made", () => {
    expect(isScaledAway("db", "db-2", { spec: { replicas: 2 } })).toBe(true);
    expect(isScaledAway("db", "db-1", { spec: { replicas: 2 } })).toBe(false);
    // Ordinals from 5: db-5 and db-6 are kept.
    expect(isScaledAway("db", "db-6", { spec: { replicas: 2, ordinals: { start: 5 } } })).toBe(false);
    expect(isScaledAway("db", "db-7", { spec: { replicas: 2, ordinals: { start: 5 } } })).toBe(true);
    // Another StatefulSet's name that starts alike, or no ordinal: not this one's to judge.
    expect(isScaledAway("db", "db-main-3", { spec: { replicas: 1 } })).toBe(false);
    expect(isScaledAway("db", "dbx-3", { spec: { replicas: 1 } })).toBe(false);
  });

  it("terminating pods: each one short for a StatefulSet; for a DaemonSet, only where no successor runs on its node", () => {
    const ds = { kind: "DaemonSet", name: "agent", uid: "ds-uid" };
    const pod = (name: string, node: string, terminating: boolean) =>
      makePod({
        name,
        uid: name,
        node,
        owner: ds,
        containers: [{ name: "app", image: "agent", runningDigest: NEW }],
        ...(terminating ? { deletionTimestamp: "2026-11-20T11:00:00Z" } : {}),
      });
    const pods = [
      pod("agent-a", "n1", true),
      pod("agent-b", "n1", false), // its successor, made at once under maxSurge
      pod("agent-c", "n2", true), // none on n2 yet
      pod("agent-d", "n3", false),
    ];
    expect(terminatingPods(pods, "ds-uid")).toEqual(["agent-a", "agent-c"]);
    expect(terminatingPods(pods, "ds-uid", true)).toEqual(["agent-c"]);
  });
});

describe("asAvailable: minReadySeconds", () => {
  const now = Date.parse("2026-11-30T12:00:30Z");
  const pod = (name: string, status: string, since?: string): PodWithConditions => ({
    metadata: { name },
    spec: { containers: [] },
    status: { conditions: [{ type: "Ready", status, ...(since ? { lastTransitionTime: since } : {}) }] },
  });
  const ready = (pods: PodWithConditions[]) =>
    pods.map((p) => `${p.metadata.name} ${p.status?.conditions?.[0]?.status}`);
  const pods = [
    pod("long-ready", "True", "2026-11-30T11:00:00Z"),
    pod("ready-30s-ago", "True", "2026-11-30T12:00:00Z"),
    pod("ready-29s-ago", "True", "2026-11-30T12:00:01Z"),
    pod("no-time", "True"),
    pod("not-ready", "False", "2026-11-30T11:00:00Z"),
  ];

  it("a pod Ready for less than minReadySeconds is taken as not Ready; the rest as they are", () => {
    expect(ready(asAvailable(pods, 30, now))).toEqual([
      "long-ready True",
      "ready-30s-ago True",
      "ready-29s-ago False",
      "no-time True",
      "not-ready False",
    ]);
    // The pods given are not changed.
    expect(pods[2]!.status?.conditions?.[0]?.status).toBe("True");
  });

  it("0 (the default): every Ready pod counts at once", () => {
    expect(ready(asAvailable(pods, 0, now))).toEqual(ready(pods));
  });
});

describe("runsOtherDigest: a planned pod restarted since onto a digest the plan never saw", () => {
  const [OLD, NEW, THIRD, SIDE_OLD, SIDE_NEW] = ["v1", "v2", "v3", "side v1", "side v2"].map(digestOf);
  const planned = [
    { name: "app", runningDigest: OLD!, latestDigest: NEW! },
    { name: "side", runningDigest: SIDE_OLD!, latestDigest: SIDE_NEW! },
  ].map((c) => ({
    ...c,
    init: false,
    image: `${c.name}:main`,
    ref: null,
    status: "stale" as const,
    reason: "",
    pullPolicy: "Always",
  }));
  const pod = (app: string, side: string) =>
    makePod({
      name: "web-1",
      containers: [
        { name: "app", image: "app:main", runningDigest: app },
        { name: "side", image: "side:main", runningDigest: side },
      ],
    });

  it("names the container on another digest, where no stale container still runs its old one", () => {
    expect(runsOtherDigest(planned, pod(THIRD!, SIDE_NEW!))).toEqual({
      container: planned[0],
      digest: THIRD,
    });
  });

  it("is none while another stale container still runs its old digest: the pod is still proven stale", () => {
    expect(runsOtherDigest(planned, pod(THIRD!, SIDE_OLD!))).toBeNull();
  });
});

describe("waitingNote", () => {
  it("says why each container waits, init ones first; not PodInitializing, which an init container says", () => {
    const waits = (reason: string) => ({ state: { waiting: { reason } } });
    const pod: PodWithConditions = {
      metadata: { name: "web-1" },
      spec: { containers: [] },
      status: {
        initContainerStatuses: [{ name: "setup", ...waits("ErrImagePull") }],
        containerStatuses: [
          { name: "app", ...waits("PodInitializing") },
          { name: "proxy", ...waits("ContainerCreating") },
          { name: "log", state: {} },
        ],
      },
    };
    expect(waitingNote([pod])).toBe(" (web-1's setup ErrImagePull, web-1's proxy ContainerCreating)");
    expect(waitingNote([{ ...pod, status: { containerStatuses: [] } }])).toBe("");
  });
});
