/**
 * makePlan (pipeline/make-plan.ts): a tag whose pods name no pull secret is asked for while the pods still
 * stream in, once, and that answer stands unless it failed and other pods bring pull secrets after all;
 * resolving stays `--concurrency` at a time, early asks included. And a pod whose StatefulSet is being
 * deleted is left under every strategy.
 */
import { describe, expect, it } from "vitest";
import type { Kubectl, PodListListener, PodScope } from "../../../src/adapters/kubectl.js";
import type { Resolver } from "../../../src/adapters/resolver.js";
import type { ImageRef } from "../../../src/core/image-ref.js";
import type { Pod } from "../../../src/core/k8s.js";
import type { Credential } from "../../../src/core/keyring.js";
import type { StrategyName } from "../../../src/core/plan.js";
import type { TagResolution } from "../../../src/core/resolution.js";
import type { Workload } from "../../../src/core/workload.js";
import { ToolFailedError } from "../../../src/errors.js";
import { makePlan } from "../../../src/pipeline/make-plan.js";
import { pullSecret } from "../../support/fake-kubectl.js";
import { type PlanKubectlOptions, planKubectl } from "../../support/plan-kubectl.js";
import { digestOf, makePod, makeReplicaSet, uuidOf } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

const OLD = digestOf("v1");
const NEW = digestOf("v2");
const scope: PodScope = { allNamespaces: true };

const pod = (name: string, image: string, imagePullSecrets?: string[]) =>
  makePod({
    name,
    owner: { kind: "ReplicaSet", name: "web-1" },
    imagePullSecrets,
    containers: [{ name: "app", image, runningDigest: OLD }],
  });

/** A kubectl whose pods stream in one at a time; `events` records the list's end. */
function fakeKubectl(
  pods: Pod[],
  events: string[],
  remembered: (scope: PodScope, warn?: (line: string) => void) => Promise<unknown[]> = async () => [],
) {
  return planKubectl(pods, {
    owners: [makeReplicaSet("web-1", "web")],
    calls: {
      async listPods(_scope: PodScope, { onPod }: PodListListener = {}) {
        for (const p of pods) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          onPod?.(p);
        }
        events.push("pods listed");
        return pods;
      },
      getSecrets: async (namespace: string, names: string[]) =>
        names.map((name) => pullSecret(name, namespace, { "docker.io": { username: "u", password: "p" } })),
      listRememberedRestarts: remembered,
    },
  });
}

/** A resolver whose tags answer `answer(ref, credentials)` after a few ms; records each ask. */
function fakeResolver(
  events: string[],
  answer: (ref: ImageRef, credentials: readonly Credential[]) => TagResolution,
) {
  let inFlight = 0;
  const seen = { maxInFlight: 0 };
  const resolver: Resolver = {
    name: "registry",
    async resolveTag(ref, credentials) {
      events.push(`ask ${ref.path}:${ref.tag} with ${credentials.map((c) => c.source).join(",") || "none"}`);
      seen.maxInFlight = Math.max(seen.maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return answer(ref, credentials);
    },
    // Each digest its own image, all of one platform: a moved tag is stale.
    inspectManifest: async (_ref, digest, _credentials, options) => ({
      ok: true,
      isIndex: false,
      config: configOf(digest),
      ...(options?.platform ? { platform: "linux/amd64" } : {}),
    }),
    describeImage: async () => ({ ok: false, reason: "not asked" }),
  };
  return { resolver, seen };
}

const moved: TagResolution = { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } };
const denied: TagResolution = { ok: false, reason: "access denied: 401 unauthorized (anonymous)" };

async function plan(
  pods: Pod[],
  answer: (ref: ImageRef, c: readonly Credential[]) => TagResolution,
  concurrency = 4,
) {
  const events: string[] = [];
  const { resolver, seen } = fakeResolver(events, answer);
  const result = await makePlan(fakeKubectl(pods, events), async () => resolver, {
    scope,
    strategy: "auto",
    concurrency,
    now: Date.now(),
  });
  return { events, seen, result };
}

/** Pull secret default/regcred whose `auth` is a bare token, which the kubelet cannot read. */
const unreadableSecret = {
  ...pullSecret("regcred", "default", {}),
  data: {
    ".dockerconfigjson": Buffer.from(
      JSON.stringify({
        auths: { "registry.corp": { auth: Buffer.from("glpat-abcdef123456").toString("base64") } },
      }),
    ).toString("base64"),
  },
};

describe("makePlan", () => {
  it("leaves a pod naming a pull secret the kubelet cannot read (no new pod could pull), with a warning; its container is still stale", async () => {
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const pods = [pod("web-a", "registry.corp/app:1", ["regcred"]), pod("web-b", "registry.corp/app:1")];
    const kubectl = {
      ...fakeKubectl(pods, events),
      getSecrets: async () => [unreadableSecret],
    } as unknown as Kubectl;
    const { plan: made, warnings } = await makePlan(kubectl, async () => resolver, {
      scope,
      strategy: "auto",
      concurrency: 2,
      now: Date.now(),
    });
    const [named, other] = made.pods;
    expect(named).toMatchObject({
      action: "skip",
      reason:
        "pull secret regcred cannot be read by the kubelet (its .dockerconfigjson: auth of registry.corp is not base64 of username:password): a new pod could not pull its images",
    });
    expect(named!.containers[0]!.status).toBe("stale");
    expect(other).toMatchObject({ action: "delete" });
    expect(warnings).toContain(
      "secret default/regcred cannot be read by the kubelet (its .dockerconfigjson: auth of registry.corp is not base64 of username:password): no new pod naming it could pull its images, so none of those pods is restarted",
    );
  });

  it("leaves a pod naming no pull secret whose ServiceAccount's the kubelet cannot read: its new pod gets it", async () => {
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const built = makePod({
      name: "web-a",
      owner: { kind: "ReplicaSet", name: "web-1" },
      serviceAccountName: "builder",
      containers: [{ name: "app", image: "registry.corp/app:1", runningDigest: OLD }],
    });
    const kubectl = {
      ...fakeKubectl([built, pod("web-b", "registry.corp/app:1")], events),
      listServiceAccounts: async () => [
        { metadata: { name: "builder", namespace: "default" }, imagePullSecrets: [{ name: "regcred" }] },
        { metadata: { name: "default", namespace: "default" } },
      ],
      getSecrets: async () => [unreadableSecret],
    } as unknown as Kubectl;
    const { plan: made } = await makePlan(kubectl, async () => resolver, {
      scope,
      strategy: "auto",
      concurrency: 2,
      now: Date.now(),
    });
    expect(made.pods.map((p) => [p.name, p.action, p.reason])).toEqual([
      [
        "web-a",
        "skip",
        "pull secret regcred of ServiceAccount builder cannot be read by the kubelet (its .dockerconfigjson: auth of registry.corp is not base64 of username:password): a new pod could not pull its images",
      ],
      ["web-b", "delete", ""],
    ]);
  });

  it("leaves a pod whose ServiceAccount is gone: admission would refuse its new pod", async () => {
    const renamed = makePod({
      name: "web-a",
      owner: { kind: "ReplicaSet", name: "web-1" },
      serviceAccountName: "web-runner",
      containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
    });
    const { result } = await plan([renamed, pod("web-b", "nginx:latest")], () => moved);
    expect(result.plan.pods.map((p) => [p.name, p.action, p.reason])).toEqual([
      [
        "web-a",
        "skip",
        "its ServiceAccount web-runner does not exist: admission refuses a new pod naming it",
      ],
      ["web-b", "delete", ""],
    ]);
  });

  it("asks for a tag while the pods stream in, once, and uses that answer", async () => {
    const pods = [pod("web-a", "nginx:latest"), pod("web-b", "nginx:latest"), pod("web-c", "nginx:latest")];
    const { events, result } = await plan(pods, () => moved);
    expect(events).toEqual(["ask library/nginx:latest with none", "pods listed"]);
    expect(result.plan.pods.map((p) => p.containers[0]!.status)).toEqual(["stale", "stale", "stale"]);
  });

  it("asks only after the list when the pod names pull secrets, with them", async () => {
    const { events } = await plan([pod("web-a", "nginx:latest", ["regcred"])], () => moved);
    expect(events).toEqual(["pods listed", "ask library/nginx:latest with secret default/regcred"]);
  });

  // Found or refused without credentials, the answer says nothing of web-b's secret, tried first by its
  // kubelet, which never pulls anonymously after a secret for that registry: the secret decides.
  it.each([
    ["refused early, found with the secret", true, "stale"],
    ["found early, refused with the secret", false, "unknown"],
  ] as const)(
    "asks again, with the secrets, a tag a later pod names pull secrets for: %s",
    async (_, secretFinds, status) => {
      const pods = [pod("web-a", "app:1"), pod("web-b", "app:1", ["regcred"])];
      const { events, result } = await plan(pods, (_ref, credentials) =>
        credentials.length > 0 === secretFinds ? moved : denied,
      );
      expect(events).toEqual([
        "ask library/app:1 with none",
        "pods listed",
        "ask library/app:1 with secret default/regcred",
      ]);
      expect(result.plan.pods.map((p) => p.containers[0]!.status)).toEqual([status, status]);
    },
  );

  it("does not ask again, with the secrets, a tag whose early pull ran out of time: it would again", async () => {
    const pods = [pod("web-a", "app:1"), pod("web-b", "app:1", ["regcred"])];
    const { events, result } = await plan(pods, () => ({
      ok: false,
      reason: "pull failed: docker pull did not finish within 300s",
      unanswered: true,
    }));
    expect(events).toEqual(["ask library/app:1 with none", "pods listed"]);
    expect(result.plan.pods.map((p) => p.containers[0]!.status)).toEqual(["unknown", "unknown"]);
  });

  it("does not ask again a tag refused early when no pod names a secret: nothing would change", async () => {
    const { events, result } = await plan([pod("web-a", "app:1"), pod("web-b", "app:1")], () => denied);
    expect(events).toEqual(["ask library/app:1 with none", "pods listed"]);
    expect(result.plan.pods[0]!.containers[0]!.reason).toContain("access denied");
  });

  it("asks `--concurrency` tags at a time, early asks included", async () => {
    const pods = Array.from({ length: 6 }, (_, i) => pod(`web-${i}`, `app:${i}`));
    const { events, seen } = await plan(pods, () => moved, 2);
    expect(events.filter((e) => e.startsWith("ask"))).toHaveLength(6);
    expect(seen.maxInFlight).toBe(2);
  });

  it("after Ctrl-C, starts none of the tags asked early that still wait their turn", async () => {
    const pods = Array.from({ length: 6 }, (_, i) => pod(`web-${i}`, `app:${i}`));
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const stop = new AbortController();
    const ask = resolver.resolveTag.bind(resolver);
    // Ctrl-C as the first answer comes, the next pods' tags queued behind it by then.
    resolver.resolveTag = async (...args) => ask(...args).finally(() => stop.abort());
    const options = {
      scope,
      strategy: "auto" as const,
      concurrency: 1,
      now: Date.now(),
      signal: stop.signal,
    };
    await expect(makePlan(fakeKubectl(pods, events), async () => resolver, options)).rejects.toThrow(
      /interrupted/,
    );
    expect(events.filter((e) => e.startsWith("ask"))).toEqual(["ask library/app:0 with none"]);
  });

  it("pods to be evicted: this tool's Events are read, and a controller's restart in vain leaves its pods", async () => {
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const pods = [pod("web-a", "nginx:latest")];
    const uid = pods[0]!.metadata.ownerReferences![0]!.uid;
    const kubectl = fakeKubectl(pods, events, async () => [
      {
        namespace: "default",
        controller: { kind: "ReplicaSet", name: "web-1", uid },
        restartedFor: `app=${OLD}>${NEW}`,
        at: Date.now() - 60_000,
      },
    ]);
    const options = { scope, strategy: "auto" as const, concurrency: 4, now: Date.now() };
    const { plan: made } = await makePlan(kubectl, async () => resolver, options);
    expect(made.pods[0]!.controller?.uid).toBe(uid);
    expect(made.pods[0]).toMatchObject({
      action: "skip",
      reason: expect.stringMatching(/^ReplicaSet\/web-1 restarted a pod for /),
    });
  });

  it("a pod now to be rolled out whose ReplicaSet's eviction came back: held; under --strategy rollout no Events are read", async () => {
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const pods = [pod("web-a", "nginx:latest")];
    const uid = pods[0]!.metadata.ownerReferences![0]!.uid;
    const deployment = {
      kind: "Deployment",
      metadata: { name: "web", namespace: "default", uid: uuidOf("default/Deployment/web"), generation: 1 },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "app", image: "nginx:latest" }] } } },
      status: {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
      },
    };
    let read = 0;
    const kubectl = {
      ...fakeKubectl(pods, events, async () => {
        read++;
        return [
          {
            namespace: "default",
            controller: { kind: "ReplicaSet", name: "web-1", uid },
            restartedFor: `app=${OLD}>${NEW}`,
            at: Date.now() - 60_000,
          },
        ];
      }),
      listWorkloads: async (kind: string) => (kind === "Deployment" ? [deployment] : []),
    } as unknown as Kubectl;
    const options = { scope, concurrency: 4, now: Date.now() };
    const { plan: held } = await makePlan(kubectl, async () => resolver, { ...options, strategy: "auto" });
    expect(held.pods[0]).toMatchObject({
      action: "skip",
      reason: expect.stringMatching(
        /^ReplicaSet\/web-1 restarted a pod for .* which came back on the old digest/,
      ),
    });
    expect(read).toBe(1);
    const { plan: rolled } = await makePlan(kubectl, async () => resolver, {
      ...options,
      strategy: "rollout",
    });
    expect(rolled.pods[0]).toMatchObject({ action: "delete", restart: { strategy: "rollout" } });
    expect(read).toBe(1);

    // A sibling on another old digest, which the record does not cover: evicted, as a rollout would
    // replace the held pod too.
    pods.push(
      makePod({
        name: "web-b",
        owner: { kind: "ReplicaSet", name: "web-1" },
        containers: [{ name: "app", image: "nginx:latest", runningDigest: digestOf("v0") }],
      }),
    );
    const { plan: mixed } = await makePlan(kubectl, async () => resolver, { ...options, strategy: "auto" });
    expect(mixed.pods.map((p) => [p.name, p.action, p.restart?.strategy])).toEqual([
      ["web-a", "skip", undefined],
      ["web-b", "delete", "evict"],
    ]);
  });

  it("a bare ReplicaSet of one replica, as listed for the pods' owners: its eviction says it is down meanwhile", async () => {
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const kubectl = {
      ...fakeKubectl([pod("web-a", "nginx:latest")], events),
      listObjects: async () => [{ ...makeReplicaSet("web-1", null), spec: { replicas: 1 } }],
    } as unknown as Kubectl;
    const options = { scope, strategy: "auto" as const, concurrency: 4, now: Date.now() };
    const { plan: made } = await makePlan(kubectl, async () => resolver, options);
    expect(made.pods[0]).toMatchObject({ action: "delete", restart: { strategy: "evict" } });
    expect(made.pods[0]!.warnings).toContain(
      "ReplicaSet/web-1 has one replica: it is down until its replacement is Ready",
    );
  });

  it("Events that cannot be read: a warning, and the pods are restarted as planned", async () => {
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const kubectl = fakeKubectl([pod("web-a", "nginx:latest")], events, async () => {
      throw new ToolFailedError(
        "kubectl get failed: Error from server (Forbidden): events.events.k8s.io is forbidden",
      );
    });
    const options = { scope, strategy: "auto" as const, concurrency: 4, now: Date.now() };
    const { plan: made, warnings } = await makePlan(kubectl, async () => resolver, options);
    expect(made.pods[0]).toMatchObject({ action: "delete", restart: { strategy: "evict" } });
    expect(warnings).toEqual([
      "this tool's Events could not be read, so a pod restarted in vain before may be restarted again: kubectl get failed: Error from server (Forbidden): events.events.k8s.io is forbidden",
    ]);
  });

  it("an Events list that had to start again (410 Expired): its warning is the plan's", async () => {
    const events: string[] = [];
    const { resolver } = fakeResolver(events, () => moved);
    const restarted =
      "the get events.events.k8s.io list took longer than the API server keeps its continue token";
    const kubectl = fakeKubectl([pod("web-a", "nginx:latest")], events, async (_scope, warn) => {
      warn?.(restarted);
      return [];
    });
    const options = { scope, strategy: "auto" as const, concurrency: 4, now: Date.now() };
    const { plan: made, warnings } = await makePlan(kubectl, async () => resolver, options);
    expect(made.pods[0]).toMatchObject({ action: "delete" });
    expect(warnings).toEqual([restarted]);
  });

  describe("an eviction not checked before (--no-wait): only pods made since are taken for its replacements", () => {
    const now = Date.now();
    const restartedAt = now - 10 * 60_000;
    async function planWith(
      creationTimes: (
        namespace: string,
        selector: string,
        warn?: (line: string) => void,
      ) => Promise<Map<string, number>>,
    ) {
      const events: string[] = [];
      const { resolver } = fakeResolver(events, () => moved);
      const pods = [pod("web-a", "nginx:latest"), pod("web-b", "nginx:latest")];
      const uid = pods[0]!.metadata.ownerReferences![0]!.uid;
      const kubectl = fakeKubectl(pods, events, async () => [
        {
          namespace: "default",
          controller: { kind: "ReplicaSet", name: "web-1", uid },
          restartedFor: `app=${OLD}>${NEW}`,
          at: restartedAt,
          uncheckedRestartAt: restartedAt,
        },
      ]);
      const queries: string[] = [];
      Object.assign(kubectl, {
        listPodCreationTimes: async (namespace: string, selector: string, warn?: (line: string) => void) => {
          queries.push(`${namespace} ${selector}`);
          return creationTimes(namespace, selector, warn);
        },
      });
      const options = { scope, strategy: "auto" as const, concurrency: 4, now };
      return { queries, ...(await makePlan(kubectl, async () => resolver, options)) };
    }

    it("the pods' creation times are read once per controller; an older one is evicted", async () => {
      const { plan: made, queries } = await planWith(
        async () => new Map([[uuidOf("default/web-b"), restartedAt - 24 * 60 * 60_000]]),
      );
      expect(queries).toEqual(["default app=web"]);
      expect(made.pods.map((p) => `${p.name} ${p.action}`)).toEqual(["web-a delete", "web-b delete"]);
    });

    it("one made since, back on the old digest, proves the restart in vain: the older one is left too", async () => {
      const { plan: made } = await planWith(
        async () =>
          new Map([
            [uuidOf("default/web-a"), restartedAt + 3000],
            [uuidOf("default/web-b"), restartedAt - 24 * 60 * 60_000],
          ]),
      );
      expect(made.pods.map((p) => `${p.name} ${p.action}`)).toEqual(["web-a skip", "web-b skip"]);
      expect(made.pods[0]!.reason).toMatch(
        /without checking its replacement, and this pod, made since, came back/,
      );
      expect(made.pods[1]!.reason).toMatch(
        /without checking its replacement, and a pod made since came back/,
      );
    });

    it("a list of creation times that had to start again: its warning is the plan's", async () => {
      const restarted = "the get pods list took longer than the API server keeps its continue token";
      const { warnings } = await planWith(async (_namespace, _selector, warn) => {
        warn?.(restarted);
        return new Map();
      });
      expect(warnings).toEqual([restarted]);
    });

    it("creation times that cannot be read: a warning, and the pods are restarted as planned", async () => {
      const { plan: made, warnings } = await planWith(async () => {
        throw new ToolFailedError("kubectl get failed: Error from server (Forbidden): pods is forbidden");
      });
      expect(made.pods.map((p) => p.action)).toEqual(["delete", "delete"]);
      expect(warnings).toEqual([
        "the pods of namespace default could not be listed for their creation times, so a replacement back on the old digest after an unchecked restart may be restarted again: kubectl get failed: Error from server (Forbidden): pods is forbidden",
      ]);
    });
  });
});

describe("a pod whose StatefulSet is being deleted", () => {
  const dbPod = makePod({
    name: "db-0",
    owner: { kind: "StatefulSet", name: "db" },
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
  });
  /** Held by a finalizer while it is deleted: its controller makes no new pods. */
  const deleting: Workload = {
    kind: "StatefulSet",
    metadata: {
      name: "db",
      namespace: "default",
      uid: dbPod.metadata.ownerReferences![0]!.uid,
      generation: 2,
      deletionTimestamp: "2026-11-20T10:00:00Z",
    },
    spec: { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } },
    status: {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentRevision: "db-7f",
      updateRevision: "db-7f",
    },
  };
  const kubectl = planKubectl([dbPod], {
    calls: { listWorkloads: async (kind: string) => (kind === "StatefulSet" ? [deleting] : []) },
  });
  const { resolver } = fakeResolver([], () => moved);

  it.each<StrategyName>(["auto", "rollout", "evict", "delete"])(
    "is left under --strategy %s: evicted or deleted, it would not come back",
    async (strategy) => {
      const { plan } = await makePlan(kubectl, async () => resolver, {
        scope,
        strategy,
        concurrency: 4,
        now: Date.now(),
      });
      expect(plan.pods[0]!.containers[0]!.status).toBe("stale");
      expect(plan.pods[0]).toMatchObject({
        action: "skip",
        reason: "StatefulSet/db is being deleted: it would not bring the pods back",
      });
    },
  );
});

describe("the plan's warnings", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const refused = (resource: string) =>
    new ToolFailedError(
      `kubectl get ${resource} failed: Error from server (Forbidden): ${resource} is forbidden`,
    );

  /** The warnings of a plan of one stale pod, its kubectl's calls replaced by `calls`. */
  async function planWarnings(
    calls: PlanKubectlOptions["calls"],
    record?: { namespace: string; name: string },
  ): Promise<string[]> {
    const stale = makePod({
      name: "web-7d9c8b-x2x9q",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [{ name: "app", image: "registry.example/web:main", runningDigest: OLD }],
    });
    const kubectl = planKubectl([stale], { owners: [makeReplicaSet("web-7d9c8b", "web")], calls });
    const { resolver } = fakeResolver([], () => moved);
    const plan = await makePlan(kubectl, async () => resolver, {
      scope,
      strategy: "auto",
      concurrency: 4,
      ...(record ? { record } : {}),
      now: Date.now(),
    });
    return plan.warnings;
  }

  it("this tool's Events and the record ConfigMap, both refused: Events' first, whichever answers first", async () => {
    const warningsWhen = (eventsMs: number, recordMs: number) =>
      planWarnings(
        {
          listRememberedRestarts: async () => {
            await sleep(eventsMs);
            throw refused("events");
          },
          runUnchecked: async () => {
            await sleep(recordMs);
            const stderr = 'Error from server (Forbidden): configmaps "autoupdate" is forbidden\n';
            return { exitCode: 1, stdout: "", stderr, interrupted: false };
          },
        },
        { namespace: "ops", name: "autoupdate" },
      );
    const eventsFirst = await warningsWhen(0, 30);
    expect(eventsFirst).toHaveLength(2);
    expect(eventsFirst[0]).toContain("events is forbidden");
    expect(await warningsWhen(30, 0)).toEqual(eventsFirst);
  });

  it("come in one order, whichever of the lists they come from answers first", async () => {
    const warningsWhen = (workloadsMs: number, budgetsMs: number) =>
      planWarnings({
        listWorkloads: async () => {
          await sleep(workloadsMs);
          throw refused("deployments.apps");
        },
        listDisruptionBudgetsIn: async () => {
          await sleep(budgetsMs);
          throw refused("poddisruptionbudgets.policy");
        },
      });
    const workloadsFirst = await warningsWhen(0, 30);
    expect(workloadsFirst).toHaveLength(2);
    expect(workloadsFirst[0]).toContain("deployments.apps is forbidden");
    expect(await warningsWhen(30, 0)).toEqual(workloadsFirst);
  });
});
