import { describe, expect, it } from "vitest";
import type { Plan, PlanContainer, PlanPod, RestartMethod } from "../../../src/core/plan.js";
import {
  alreadyRestartedFor,
  creationTimeQueries,
  holdRestartedInVain,
  holdsToRecordAgain,
  mergeRemembered,
  type RememberedRestart,
  restartedForValue,
  rolloutRestartedFor,
} from "../../../src/core/restarted-for.js";
import { digestOf } from "../../support/pods.js";

const OLD = digestOf("v1");
const NEW = digestOf("v2");
const OTHER = digestOf("v3");

function container(
  name: string,
  status: PlanContainer["status"],
  latestDigest: string | null,
  runningDigest: string | null = OLD,
): PlanContainer {
  return {
    name,
    init: false,
    image: "shop/web:main",
    ref: "docker.io/shop/web:main",
    runningDigest,
    latestDigest,
    status,
    reason: "",
    pullPolicy: "IfNotPresent",
  };
}

describe("what a restart is for", () => {
  it("each stale container's move, from its running digest to its tag's, once per move", () => {
    const value = restartedForValue([
      container("side", "stale", OTHER),
      container("app", "stale", NEW),
      container("app", "stale", NEW),
      container("app", "stale", NEW, OTHER),
      container("log", "current", NEW),
    ]);
    expect(value).toBe(`app=${OLD}>${NEW},app=${OTHER}>${NEW},side=${OLD}>${OTHER}`);
  });

  it("a move to an index by its digest and by its images', which an index published again keeps", () => {
    const images = `${digestOf("amd64")}+${digestOf("arm64")}`;
    const value = restartedForValue([{ ...container("app", "stale", NEW), latestImages: images }]);
    expect(value?.split(",")).toEqual([`app=${OLD}>${NEW}`, `app=${OLD}>${images}`].sort());
  });

  it("nothing stale with both digests known: none", () => {
    expect(
      restartedForValue([
        container("app", "stale", null),
        container("init", "stale", NEW, null),
        container("log", "unknown", NEW),
      ]),
    ).toBe(null);
  });
});

describe("what a rollout is for: its pods' moves and the earlier rollouts' to the same digest", () => {
  const THIRD = digestOf("v4");
  const pod = (containers: PlanContainer[], restartedBefore?: string) =>
    ({ name: "web-1", containers, restartedBefore }) as PlanPod;

  it("two nodes caching different old digests: the second rollout keeps the first's move, so a third never comes", () => {
    // Run 1 rolls a pod off OLD; its replacement lands on a node that caches OTHER.
    const first = rolloutRestartedFor([pod([container("app", "stale", NEW)])]);
    expect(first).toBe(`app=${OLD}>${NEW}`);
    // Run 2 rolls that pod off OTHER, keeping the record of OLD: the record now names both.
    const second = rolloutRestartedFor([pod([container("app", "stale", NEW, OTHER)], first!)]);
    expect(second).toBe(`app=${OLD}>${NEW},app=${OTHER}>${NEW}`);
    // Its replacement lands back on OLD: run 3 leaves it, as it would one back on OTHER.
    expect(alreadyRestartedFor(second!, [container("app", "stale", NEW)])).toContain(
      "left until the tag moves",
    );
    expect(alreadyRestartedFor(second!, [container("app", "stale", NEW, OTHER)])).toContain(
      "left until the tag moves",
    );
  });

  it("an earlier move of the same container to another digest is not kept", () => {
    const before = `app=${OLD}>${THIRD}`;
    expect(rolloutRestartedFor([pod([container("app", "stale", NEW, OTHER)], before)])).toBe(
      `app=${OTHER}>${NEW}`,
    );
  });

  it("a container this rollout has no move for (another --image, unknown this run) keeps its earlier move", () => {
    // side came back on its cached OLD after an earlier rollout; now only app moved (or side's registry
    // answered 429): the record must still say side was tried, or the next run rolls the workload again.
    const before = `side=${OLD}>${NEW}`;
    const app = container("app", "stale", THIRD, OTHER);
    const second = rolloutRestartedFor([pod([app, container("side", "unknown", null)], before)]);
    expect(second).toBe(`app=${OTHER}>${THIRD},side=${OLD}>${NEW}`);
    // The run after: app is current, side still on OLD with its tag on NEW: left, not rolled again.
    expect(
      alreadyRestartedFor(second!, [container("app", "current", THIRD), container("side", "stale", NEW)]),
    ).toContain("left until the tag moves");
  });

  it("nothing stale with both digests known: none, whatever the pods carry", () => {
    expect(rolloutRestartedFor([pod([container("app", "current", NEW)], `app=${OLD}>${NEW}`)])).toBeNull();
  });
});

describe("pods evicted or deleted in vain before, as this tool's Events remember them", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  const rs = { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" };
  const remembered = (restartedFor: string, minutesAgo = 12, uid = "uid-rs"): RememberedRestart => ({
    namespace: "shop",
    controller: { ...rs, uid },
    restartedFor,
    at: now - minutesAgo * 60_000,
  });
  const planned = (name: string, strategy: RestartMethod, ...containers: PlanContainer[]) =>
    ({
      namespace: "shop",
      name,
      controller: rs,
      action: "delete",
      reason: "",
      warnings: [
        "imagePullPolicy IfNotPresent on container app: the node may start its cached old image again",
      ],
      containers,
      restart: { strategy, controller: rs, reason: "" },
    }) as unknown as PlanPod;
  const plan = (...pods: PlanPod[]): Plan => ({ resolver: "registry", pods });

  it("every pod of that controller to be evicted or deleted is left, with why and the record", () => {
    const memory = remembered(`app=${OLD}>${NEW}`);
    const { pods } = holdRestartedInVain(
      plan(
        planned("web-a", "evict", container("app", "stale", NEW)),
        planned("web-b", "delete", container("app", "stale", NEW)),
      ),
      [memory],
      now,
    );
    expect(pods.map((pod) => pod.name)).toEqual(["web-a", "web-b"]);
    for (const pod of pods) {
      expect(pod).toMatchObject({
        action: "skip",
        reason: `ReplicaSet/web-7d9c8b restarted a pod for ${NEW.slice(7, 19)} 12m ago, which came back on the old digest: the node started its cached image (imagePullPolicy IfNotPresent on container app); left until the tag moves`,
        warnings: [],
        heldBy: memory,
      });
      expect(pod.restart).toBeUndefined();
    }
  });

  it("not when the tag moved since, or another controller was meant", () => {
    const stale = container("app", "stale", NEW);
    expect(
      holdRestartedInVain(plan(planned("a", "evict", stale)), [remembered(`app=${OLD}>${OTHER}`)], now)
        .pods[0]!.action,
    ).toBe("delete");
    expect(
      holdRestartedInVain(
        plan(planned("a", "evict", stale)),
        [remembered(`app=${OLD}>${NEW}`, 5, "uid-other")],
        now,
      ).pods[0]!.action,
    ).toBe("delete");
  });

  it("a pod now to be rolled out is held too: a rollout starts the same cached image the eviction did", () => {
    // `auto` evicted the pods, and a budget changed since lets it roll the controller out.
    const memory = remembered(`app=${OLD}>${NEW}`);
    const [pod] = holdRestartedInVain(
      plan(planned("a", "rollout", container("app", "stale", NEW))),
      [memory],
      now,
    ).pods;
    expect(pod).toMatchObject({ action: "skip", heldBy: memory });
    expect(pod!.restart).toBeUndefined();
  });

  it("the newest record is the one named; records 20 minutes old or more are recorded again, once per record", () => {
    const older = remembered(`app=${OLD}>${NEW}`, 50);
    const newer = remembered(`app=${OLD}>${NEW}`, 25);
    const held = holdRestartedInVain(
      plan(
        planned("a", "evict", container("app", "stale", NEW)),
        planned("b", "evict", container("app", "stale", NEW)),
      ),
      [older, newer],
      now,
    );
    expect(held.pods.map((p) => p.heldBy)).toEqual([newer, newer]);
    expect(holdsToRecordAgain(held, now)).toEqual([{ hold: newer, pods: held.pods }]);
    expect(holdsToRecordAgain(held, now - 6 * 60_000)).toEqual([]);
  });

  it("a record ahead of the run's clock (its clock behind the API server's) is recorded again", () => {
    const fresh = remembered(`app=${OLD}>${NEW}`, 0);
    const held = holdRestartedInVain(
      plan(planned("a", "evict", container("app", "stale", NEW))),
      [fresh],
      now,
    );
    // Behind by more than skew: how far is not known, and waiting 20 minutes by this clock may be too late.
    expect(holdsToRecordAgain(held, now - 4 * 60_000)).toEqual([]);
    expect(holdsToRecordAgain(held, now - 45 * 60_000)).toEqual([{ hold: fresh, pods: held.pods }]);
  });
});

describe("pods evicted or deleted before without checking their replacement (--no-wait, an interrupt)", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  const restartedAt = now - 12 * 60_000;
  const rs = { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" };
  const unchecked = (restartedFor = `app=${OLD}>${NEW}`, at = restartedAt): RememberedRestart => ({
    namespace: "shop",
    controller: rs,
    restartedFor,
    at,
    uncheckedRestartAt: at,
  });
  const planned = (name: string, labels: Record<string, string>, ...containers: PlanContainer[]) =>
    ({
      namespace: "shop",
      name,
      uid: `uid-${name}`,
      labels,
      controller: rs,
      action: "delete",
      reason: "",
      warnings: [],
      containers,
      restart: { strategy: "evict", controller: rs, reason: "" },
    }) as unknown as PlanPod;
  const labels = { app: "web", "pod-template-hash": "7d9c8b" };
  const stale = () => container("app", "stale", NEW);
  const plan = (...pods: PlanPod[]): Plan => ({ resolver: "registry", pods });

  it("a pod made before is one that restart never reached: restarted as planned", () => {
    const createdAt = new Map([["uid-web-old", restartedAt - 3 * 24 * 60 * 60_000]]);
    const { pods } = holdRestartedInVain(
      plan(planned("web-old", labels, stale()), planned("web-gone", labels, stale())),
      [unchecked()],
      now,
      createdAt,
    );
    // Never reached by that run (a budget refused it), or its creation time unknown: still to restart.
    expect(pods.map((p) => p.action)).toEqual(["delete", "delete"]);
  });

  it("a pod made since on the old digest is left, and proves the restart in vain: every pod it covers is left, and it is recorded as checked", () => {
    const memory = unchecked();
    const createdAt = new Map([
      ["uid-web-new", restartedAt + 2000],
      ["uid-web-old", restartedAt - 3 * 24 * 60 * 60_000],
    ]);
    const { pods } = holdRestartedInVain(
      plan(
        planned("web-old", labels, stale()),
        planned("web-new", labels, stale()),
        planned("web-gone", labels, stale()),
      ),
      [memory],
      now,
      createdAt,
    );
    const { uncheckedRestartAt: _, ...checked } = memory;
    const cause = "the node started its cached image (imagePullPolicy IfNotPresent on container app)";
    const head = `ReplicaSet/web-7d9c8b restarted a pod for ${NEW.slice(7, 19)} 12m ago without checking its replacement`;
    expect(pods[1]).toMatchObject({
      action: "skip",
      reason: `${head}, and this pod, made since, came back on the old digest: ${cause}; left until the tag moves`,
      heldBy: { ...checked, firstAt: restartedAt },
    });
    expect(pods[0]).toMatchObject({
      action: "skip",
      reason: `${head}, and a pod made since came back on the old digest: ${cause}; left until the tag moves`,
    });
    expect(pods[2]!.action).toBe("skip");
    // One record for the three: recorded again once for the controller, not once per pod.
    const later = now + 30 * 60_000;
    expect(holdsToRecordAgain({ resolver: "registry", pods }, later).map((due) => due.pods.length)).toEqual([
      3,
    ]);
  });

  it("made up to a minute before the restart counts as since (two clocks, whole seconds); earlier does not", () => {
    const at = (ms: number) => new Map([["uid-web-a", restartedAt + ms]]);
    const left = (ms: number) =>
      holdRestartedInVain(plan(planned("web-a", labels, stale())), [unchecked()], now, at(ms)).pods[0]!
        .action;
    expect(left(-59_000)).toBe("skip");
    expect(left(-61_000)).toBe("delete");
  });

  it("not when another container is stale too, or the tag moved since", () => {
    const createdAt = new Map([["uid-web-a", restartedAt + 2000]]);
    const sidecar = container("side", "stale", OTHER);
    expect(
      holdRestartedInVain(plan(planned("web-a", labels, stale(), sidecar)), [unchecked()], now, createdAt)
        .pods[0]!.action,
    ).toBe("delete");
    expect(
      holdRestartedInVain(
        plan(planned("web-a", labels, stale())),
        [unchecked(`app=${OLD}>${OTHER}`)],
        now,
        createdAt,
      ).pods[0]!.action,
    ).toBe("delete");
  });

  it("a checked record of the same moves leaves every such pod, whenever made, and is the one named though older", () => {
    const checked: RememberedRestart = {
      namespace: "shop",
      controller: rs,
      restartedFor: `app=${OLD}>${NEW}`,
      at: now - 30 * 60_000,
    };
    const { pods } = holdRestartedInVain(
      plan(planned("web-old", labels, stale())),
      [unchecked(), checked],
      now,
    );
    expect(pods[0]).toMatchObject({ action: "skip", heldBy: checked });
    expect(pods[0]!.reason).toMatch(
      /^ReplicaSet\/web-7d9c8b restarted a pod for \S+ 30m ago, which came back/,
    );
  });

  it("one controller's many unchecked restarts of one move are one record: the earliest restart, the newest time", () => {
    const first = unchecked(`app=${OLD}>${NEW}`, now - 30 * 60_000);
    const second = { ...unchecked(`app=${OLD}>${NEW}`, now - 25 * 60_000), at: now - 21 * 60_000 };
    expect(mergeRemembered([first, second])).toEqual([{ ...second, uncheckedRestartAt: now - 30 * 60_000 }]);
    // A pod made between the two restarts is made since the first: left, and recorded again, once, as
    // checked now that it proved the restart in vain, from the first restart on.
    const createdAt = new Map([["uid-web-a", now - 28 * 60_000]]);
    const held = holdRestartedInVain(
      plan(planned("web-a", labels, stale())),
      [first, second],
      now,
      createdAt,
    );
    const { uncheckedRestartAt: _, ...checked } = second;
    const recorded = { ...checked, firstAt: now - 30 * 60_000 };
    expect(held.pods[0]).toMatchObject({ action: "skip", heldBy: recorded });
    expect(holdsToRecordAgain(held, now).map((r) => r.hold)).toEqual([recorded]);
  });

  describe("the pods whose creation time is read: only those an unchecked record alone may leave", () => {
    it("one query per controller, by the labels its pods share", () => {
      const queries = creationTimeQueries(
        plan(
          planned("db-0", { app: "db", "statefulset.kubernetes.io/pod-name": "db-0" }, stale()),
          planned("db-1", { app: "db", "statefulset.kubernetes.io/pod-name": "db-1" }, stale()),
        ),
        [unchecked()],
      );
      expect(queries).toEqual([{ namespace: "shop", selector: "app=db" }]);
    });

    it("one list of the namespace's pods when more than four of its controllers need them", () => {
      const controllers = ["a", "b", "c", "d", "e"].map((name) => ({
        kind: "ReplicaSet",
        name: `web-${name}`,
        uid: `uid-${name}`,
      }));
      const pods = controllers.map((controller) => ({
        ...planned(`${controller.name}-0`, { app: controller.name }, stale()),
        controller,
        restart: { strategy: "evict", controller, reason: "" },
      })) as PlanPod[];
      const records = controllers.map((controller) => ({ ...unchecked(), controller }));
      expect(creationTimeQueries(plan(...pods), records)).toEqual([{ namespace: "shop", selector: "" }]);
      expect(creationTimeQueries(plan(...pods.slice(1)), records.slice(1))).toHaveLength(4);
    });

    it("none for pods no unchecked record covers, a checked record leaves anyway, or not to be restarted", () => {
      const checked: RememberedRestart = {
        namespace: "shop",
        controller: rs,
        restartedFor: `app=${OLD}>${NEW}`,
        at: now,
      };
      const current = {
        ...planned("web-c", labels, container("app", "current", NEW, NEW)),
        action: "skip",
      } as PlanPod;
      const other = planned("web-b", labels, container("app", "stale", OTHER));
      expect(creationTimeQueries(plan(current, other), [unchecked()])).toEqual([]);
      expect(creationTimeQueries(plan(planned("web-a", labels, stale())), [unchecked(), checked])).toEqual(
        [],
      );
      expect(creationTimeQueries(plan(planned("web-a", labels, stale())), [])).toEqual([]);
    });
  });
});
