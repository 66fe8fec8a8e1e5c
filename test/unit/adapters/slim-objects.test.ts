/**
 * A field the slim objects read but the shape cuts out would be missing and change a verdict without
 * a sound: each slim object made from the cut item must equal the one made from the whole item.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type ItemReader,
  JsonListStream,
  parsedBy,
  type Shape,
} from "../../../src/adapters/json-list-stream.js";
import {
  controllerPodShape,
  ownedReplicaSetShape,
  ownerShape,
  podReader,
  podShape,
  slimOwner,
  slimPod,
  slimWorkload,
  workloadShape,
} from "../../../src/adapters/slim-objects.js";
import {
  controllerOf,
  isOptedOut,
  type KubeObject,
  type OwnerObject,
  type Pod,
} from "../../../src/core/k8s.js";
import type { PlanContainer } from "../../../src/core/plan.js";
import {
  asAvailable,
  backOnOldDigest,
  containerWaits,
  hasEnded,
  livePods,
  notReadyPods,
  type PodWithConditions,
  readyPodCount,
} from "../../../src/core/readiness.js";
import { nodeStoppedReporting } from "../../../src/core/since-plan.js";
import { ownedPods, type Workload, type WorkloadKind } from "../../../src/core/workload.js";
import { SharedValues } from "../../../src/util/shared-values.js";
import { chunkUses, writeInChunks } from "../../support/chunks.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/objects/${name}`, import.meta.url));

/** The items cut to `shape`, read in 97-byte chunks and in one: the same either way, or the test fails. */
function cut<T>(list: Buffer, shape: Shape, reader: () => ItemReader<T>): T[] {
  const read = (size: number) => {
    const items: T[] = [];
    const readItem = reader();
    const stream = new JsonListStream((text, apart) => items.push(readItem(text, apart)), undefined, shape);
    for (let i = 0; i < list.length; i += size) stream.write(list.subarray(i, i + size));
    stream.end();
    return items;
  };
  const whole = read(list.length);
  expect(read(97)).toEqual(whole);
  return whole;
}

/** Chunk sizes from 1 to `max`, the same on every run (a linear congruential sequence). */
function chunkSizes(seed: number, max: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 1 + (state % max);
  };
}

describe("the shapes keep every field the slim objects read", () => {
  it("pods: a Deployment's pod with init containers, pull secrets and volumes; a mirror pod; a bare one", () => {
    const list = fixture("pods.json");
    const whole = (JSON.parse(list.toString()) as { items: Pod[] }).items;
    const slim = cut(list, podShape, () => podReader(new SharedValues()));
    expect(slim).toEqual(whole.map((pod) => slimPod(pod, new SharedValues())));
    // The fixture exercises what it should: nothing read is missing from it.
    const [full] = slim;
    expect(full?.spec.initContainers?.[0]?.image).toMatch(/migrate/);
    expect(full?.spec.volumes).toEqual([
      { name: "cache", emptyDir: {} },
      { name: "scratch", emptyDir: {} },
      { name: "data", ephemeral: {} },
    ]);
    expect(full?.spec.imagePullSecrets).toHaveLength(2);
    expect(full?.metadata.deletionTimestamp).toBeDefined();
    expect(full?.metadata.annotations).toEqual({
      "kubectl-autoupdate/restarted-for": `app=sha256:${"c".repeat(64)}`,
    });
    expect(slim[1]?.metadata.annotations).toEqual({ "kubernetes.io/config.mirror": "" });
  });

  it("a rollout's record is kept while the template's restartedAt is the one it names, and dropped after another", () => {
    const [pod] = (JSON.parse(fixture("pods.json").toString()) as { items: Pod[] }).items;
    const recordedAt = (at: string): Pod => ({
      ...pod!,
      metadata: {
        ...pod!.metadata,
        annotations: { ...pod!.metadata.annotations, "kubectl-autoupdate/restarted-at": at },
      },
    });
    const list = Buffer.from(
      JSON.stringify({ items: [recordedAt("2026-11-20T09:59:00Z"), recordedAt("2026-11-19T08:00:00Z")] }),
    );
    const [ours, since] = cut(list, podShape, () => podReader(new SharedValues()));
    expect(ours?.metadata.annotations).toEqual({
      "kubectl-autoupdate/restarted-for": `app=sha256:${"c".repeat(64)}`,
    });
    // `kubectl rollout restart` set restartedAt since: the pods prove nothing of the recorded restart.
    expect(since?.metadata.annotations).toBeUndefined();
  });

  it("pods read in chunks of every size, compact or indented, the caller's, handed over or lent, make the same slim pods", () => {
    const items = (JSON.parse(fixture("pods.json").toString()) as { items: Pod[] }).items;
    const expected = items.map((pod) => slimPod(pod, new SharedValues()));
    for (const text of [JSON.stringify({ items }), JSON.stringify({ items }, null, 4)]) {
      const bytes = Buffer.from(text);
      for (let run = 0; run < 60; run++) {
        const size = chunkSizes(run + 1, run % 2 ? 40 : 3000);
        const got: Pod[] = [];
        const read = podReader(new SharedValues());
        const stream = new JsonListStream((text, apart) => got.push(read(text, apart)), undefined, podShape);
        writeInChunks(stream, bytes, size, chunkUses[Math.floor(run / 2) % chunkUses.length]!);
        stream.end();
        expect(got).toEqual(expected);
      }
      expect(bytes.toString()).toBe(text);
    }
  });

  it("pods of one controller are parsed once; what differs between them is read from each", () => {
    const [pod] = (JSON.parse(fixture("pods.json").toString()) as { items: Pod[] }).items;
    const replica = (n: number, image = pod!.spec.containers[0]!.image): Pod => ({
      ...pod!,
      metadata: { ...pod!.metadata, name: `web-7d9c8b6f5-${n}`, uid: `uid-${n}` },
      spec: {
        ...pod!.spec,
        nodeName: `node-${n % 3}`,
        containers: [{ ...pod!.spec.containers[0]!, image }, ...pod!.spec.containers.slice(1)],
        volumes: pod!.spec.volumes?.map((v) =>
          v.name.startsWith("kube-api-access-") ? { ...v, name: `kube-api-access-${n}` } : v,
        ),
      },
    });
    // More templates than are kept, and back to the first: each pod is still its own.
    const items = [
      ...Array.from({ length: 5 }, (_, n) => replica(n)),
      ...Array.from({ length: 100 }, (_, n) => replica(n, `registry.example/other:${n}`)),
      replica(7),
      { ...replica(8), spec: { ...replica(8).spec, volumes: [{ name: "emptyDir", configMap: {} }] } },
      { ...replica(9), spec: { ...replica(9).spec, volumes: [{ name: "ephemeral", configMap: {} }] } },
      {
        ...replica(10),
        spec: { ...replica(10).spec, volumes: pod!.spec.volumes?.filter((v) => v.ephemeral !== undefined) },
      },
    ];
    // An escape in what is read apart is read as the parser reads it.
    const text = JSON.stringify({ items }).replaceAll('"node-2"', '"node\\u002d2"');
    expect(text).toContain("node\\u002d2");
    const slim = cut(Buffer.from(text), podShape, () => podReader(new SharedValues()));
    expect(slim).toEqual(items.map((p) => slimPod(p, new SharedValues())));
    expect(slim[2]!.spec.nodeName).toBe("node-2");
    expect(slim[1]!.metadata.name).toBe("web-7d9c8b6f5-1");
    expect(slim[1]!.spec.nodeName).toBe("node-1");
    expect(slim[1]!.spec.containers).toBe(slim[0]!.spec.containers);
    expect(slim[1]!.status).toBe(slim[0]!.status);
    expect(Object.isFrozen(slim[0]!.status)).toBe(true);
    expect(slim.at(-3)!.spec.volumes).toBeUndefined();
    expect(slim.at(-2)!.spec.volumes).toBeUndefined();
    // A generic ephemeral volume alone is read too: its claim goes with the pod.
    expect(slim.at(-1)!.spec.volumes).toEqual([{ name: "data", ephemeral: {} }]);
  });

  it("owners in between: a ReplicaSet and a Job", () => {
    const list = fixture("owners.json");
    const whole = (JSON.parse(list.toString()) as { items: OwnerObject[] }).items;
    const slim = cut(list, ownerShape, () => parsedBy((o: OwnerObject) => slimOwner("ReplicaSet", o)));
    expect(slim).toEqual(whole.map((o) => slimOwner("ReplicaSet", o)));
    expect(slim[0]?.metadata.ownerReferences?.[0]?.kind).toBe("Deployment");
    // A ReplicaSet's replica count (a bare one of one replica is down while its pod is evicted); a Job
    // has none.
    expect(slim.map((o) => o.spec)).toEqual([{ replicas: 3 }, undefined]);
    // Being deleted: it makes no new pods.
    expect(slim.map((o) => o.metadata.deletionTimestamp)).toEqual([undefined, "2026-11-20T10:00:00Z"]);
  });

  it("workloads: a paused Deployment with GitOps tracking, a partitioned StatefulSet an operator controls, a DaemonSet", () => {
    const list = fixture("workloads.json");
    const whole = (JSON.parse(list.toString()) as { items: Workload[] }).items;
    const kinds: WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet"];
    const slim = cut(list, workloadShape, () => {
      let index = 0;
      return parsedBy((w: Workload) => slimWorkload(kinds[index++]!, w));
    });
    expect(slim).toEqual(whole.map((w, i) => slimWorkload(kinds[i]!, w)));
    expect(slim[0]?.spec.paused).toBe(true);
    expect(slim[0]?.metadata.annotations).toEqual({
      "argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web",
    });
    expect(slim[1]?.spec.updateStrategy?.rollingUpdate?.partition).toBe(1);
    // Its partition counts from its first ordinal.
    expect(slim[1]?.spec.ordinals).toEqual({ start: 1 });
    // The controller reference alone, and only what names it.
    expect(slim[1]?.metadata.ownerReferences).toEqual([
      { apiVersion: "k8s.mariadb.com/v1alpha1", kind: "MariaDB", name: "db", controller: true },
    ]);
    expect(slim[0]?.metadata.ownerReferences).toBeUndefined();
    expect(slim[2]?.status?.numberAvailable).toBe(2);
    // Pods on nodes it no longer schedules to would get no successor (core/workload.ts).
    expect(slim[2]?.status?.numberMisscheduled).toBe(0);
    expect(slim.map((w) => w.metadata.deletionTimestamp)).toEqual([
      undefined,
      undefined,
      "2026-11-20T10:00:00Z",
    ]);
  });

  it("a controller's pods, polled while a replacement starts: every check reads the same of the cut pods", () => {
    const [pod] = (JSON.parse(fixture("pods.json").toString()) as { items: PodWithConditions[] }).items;
    const { deletionTimestamp: _, ...running } = pod!.metadata;
    const variant = (
      name: string,
      status: Partial<NonNullable<Pod["status"]>> & object,
      labels = {},
      spec: Partial<Pod["spec"]> = {},
    ) => ({
      ...pod!,
      metadata: { ...running, name, uid: `uid-${name}`, labels: { ...running.labels, ...labels } },
      spec: { ...pod!.spec, ...spec },
      status: { ...pod!.status, ...status },
    });
    const starting = { conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }] };
    // Marked not Ready by the node controller: the kubelet's ContainersReady and readiness gate say ready.
    const nodeLost = {
      conditions: [
        { type: "Ready", status: "False" },
        { type: "ContainersReady", status: "True" },
        { type: "target-health", status: "True" },
      ],
    };
    // Not Ready as the kubelet says it: its load balancer's target is not healthy yet.
    const gated = {
      conditions: [...nodeLost.conditions.slice(0, 2), { type: "target-health", status: "False" }],
    };
    const items = [
      pod!,
      variant("web-ready", {}),
      variant("web-starting", starting),
      variant("web-ended", { phase: "Failed", ...starting }),
      variant("web-opted-out", {}, { "kubectl-autoupdate/ignore": "true" }),
      variant("web-node-lost", nodeLost, {}, { readinessGates: [{ conditionType: "target-health" }] }),
      variant("web-gated", gated, {}, { readinessGates: [{ conditionType: "target-health" }] }),
      variant("web-pulling", {
        ...starting,
        containerStatuses: pod!.status!.containerStatuses!.map((c) => ({
          ...c,
          state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } },
        })),
      }),
    ];
    const list = Buffer.from(JSON.stringify({ kind: "PodList", items }));
    const whole = (JSON.parse(list.toString()) as { items: PodWithConditions[] }).items;
    const slim = cut(list, controllerPodShape, () => parsedBy((p: PodWithConditions) => p));
    const app = pod!.status!.containerStatuses![0]!;
    const stale: PlanContainer[] = [
      {
        name: app.name,
        init: false,
        image: app.image ?? "",
        ref: null,
        runningDigest: app.imageID!.split("@")[1]!,
        latestDigest: `sha256:${"e".repeat(64)}`,
        status: "stale",
        reason: "",
        pullPolicy: "IfNotPresent",
      },
    ];
    const replicaSet = controllerOf(pod!.metadata)!.uid!;
    const checks = (pods: PodWithConditions[]) => ({
      ready: readyPodCount(pods, replicaSet),
      notReady: notReadyPods(pods, replicaSet),
      // Ready since 10:00:05, so not yet for a minReadySeconds of 30 at 10:00:20.
      notAvailable: notReadyPods(asAvailable(pods, 30, Date.parse("2026-11-20T10:00:20Z")), replicaSet),
      live: livePods(pods, replicaSet).map((p) => p.metadata.name),
      ended: pods.map(hasEnded),
      optedOut: pods.map((p) => isOptedOut(p.metadata)),
      owned: ownedPods({ kind: "Deployment", metadata: { name: "web", uid: "uid-deployment" } }, pods, [
        {
          metadata: {
            name: "web-7d9c8b6f5",
            uid: replicaSet,
            ownerReferences: [{ kind: "Deployment", name: "web", uid: "uid-deployment", controller: true }],
          },
        },
      ]).map((p) => p.metadata.name),
      backOnOldDigest: pods.map((p) => backOnOldDigest(stale, p)),
      nodeStoppedReporting: pods.map(nodeStoppedReporting),
      waiting: pods.map((p) => containerWaits(p).map((wait) => `${wait.container} ${wait.reason}`)),
      who: pods.map(({ metadata: m }) => [m.namespace, m.name, m.uid]),
    });
    expect(checks(slim)).toEqual(checks(whole));
    // The pods exercise every check: each one answers differently for some pod.
    expect(checks(whole)).toMatchObject({
      ready: 2,
      notReady: ["web-starting", "web-node-lost", "web-gated", "web-pulling"],
      notAvailable: [
        "web-ready",
        "web-starting",
        "web-opted-out",
        "web-node-lost",
        "web-gated",
        "web-pulling",
      ],
      live: [
        "web-ready",
        "web-starting",
        "web-ended",
        "web-opted-out",
        "web-node-lost",
        "web-gated",
        "web-pulling",
      ],
      ended: [false, false, false, true, false, false, false, false],
      optedOut: [false, false, false, false, true, false, false, false],
      nodeStoppedReporting: [false, false, false, false, false, true, false, false],
      waiting: [[], [], [], [], [], [], [], ["app ImagePullBackOff", "proxy ImagePullBackOff"]],
    });
    expect(checks(whole).backOnOldDigest[1]).toMatch(/cached image/);
    // What no check reads stays in the pipe: env, probes, container states, managedFields, IPs.
    expect(JSON.stringify(slim)).not.toMatch(/managedFields|OOMKilled|podIP|"env"/);
  });

  it("a Deployment's ReplicaSets: whose they are, and their UID", () => {
    const list = fixture("owners.json");
    const whole = (JSON.parse(list.toString()) as { items: KubeObject[] }).items;
    const slim = cut(list, ownedReplicaSetShape, () => parsedBy((rs: KubeObject) => rs));
    const whose = (sets: KubeObject[]) => sets.map((rs) => [rs.metadata.uid, controllerOf(rs.metadata)?.uid]);
    expect(whose(slim)).toEqual(whose(whole));
    expect(whose(whole)[0]).toEqual([expect.any(String), expect.any(String)]);
  });
});

describe("values shared between pods", () => {
  const pod = (namespace: string, name: string, containers: object[], statuses: object[]) => ({
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: { nodeName: "node-1", containers },
    status: { phase: "Running", containerStatuses: statuses },
  });
  // Another tenant's pod, listed first (its namespace sorts first), whose image (free text to the API
  // server) spells out the separators of a joined key: one container where the victim has two.
  const crafted = pod(
    "aaa",
    "x",
    [{ name: "app", image: "app:1\u0000Always\u0000\u0001proxy\u0000proxy:2", imagePullPolicy: "Always" }],
    [{ name: "app", image: "app:1\u0000sha256:a\u0000\u0001proxy\u0000proxy:2", imageID: "" }],
  );
  const victim = pod(
    "shop",
    "web-1",
    [
      { name: "app", image: "app:1", imagePullPolicy: "Always" },
      { name: "proxy", image: "proxy:2", imagePullPolicy: "Always" },
    ],
    [
      { name: "app", image: "app:1", imageID: "sha256:a" },
      { name: "proxy", image: "proxy:2", imageID: "" },
    ],
  );

  it("a pod keeps its own containers and statuses, whatever another pod's images spell", () => {
    const read = podReader(new SharedValues());
    const pods: Pod[] = [];
    const stream = new JsonListStream((text, apart) => pods.push(read(text, apart)), undefined, podShape);
    stream.write(JSON.stringify({ kind: "PodList", metadata: {}, items: [crafted, victim] }));
    stream.end();
    expect(pods[1]!.spec.containers).toEqual(victim.spec.containers);
    expect(pods[1]!.status?.containerStatuses).toEqual(victim.status.containerStatuses);
  });
});
