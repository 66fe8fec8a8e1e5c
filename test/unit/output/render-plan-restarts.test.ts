/**
 * The plan with restarts decided: ACTION names the strategy and REASON why (table and -o wide); the Plan
 * document gains `strategy` and a `restart` per pod to restart (additive; apiVersion and actions unchanged).
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { Plan } from "../../../src/core/plan.js";
import { decideRestarts } from "../../../src/core/restart-strategy.js";
import type { Workload } from "../../../src/core/workload.js";
import { makeChalk } from "../../../src/output/color.js";
import { planRenderer } from "../../../src/output/render-plan.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { tagAt } from "../../support/resolutions.js";

/** What renderPlan writes to stdout, in one string. */
const text = (pieces: Iterable<string>) => [...pieces].join("");

const OLD = digestOf("v1");
const NEW = digestOf("v2");
const resolved = tagAt(NEW, OLD);
const stale = [{ name: "app", image: "nginx:latest", runningDigest: OLD }];
const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web"), makeReplicaSet("api-5f6d7c", "api")]);
const decided = decidePlan({
  resolver: "registry",
  owners,
  resolutions: new Map([["docker.io/library/nginx:latest", resolved]]),
  pods: [
    makePod({
      name: "web-7d9c8b-x2x9q",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: stale,
    }),
    makePod({
      name: "api-5f6d7c-k8s2d",
      owner: { kind: "ReplicaSet", name: "api-5f6d7c" },
      containers: stale,
    }),
    makePod({
      name: "legacy-q7w2e",
      owner: { kind: "ReplicationController", name: "legacy" },
      containers: stale,
    }),
  ],
});
const deployment = (
  name: string,
  extra: Partial<Workload["spec"]> = {},
  labels?: Record<string, string>,
): Workload => ({
  kind: "Deployment",
  metadata: { name, namespace: "default", generation: 1, labels },
  spec: {
    replicas: 2,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    ...extra,
  },
  status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
});
const colors = { stdout: makeChalk(false), stderr: makeChalk(false) };
const plan = (strategy: "auto" | "rollout") =>
  decideRestarts(decided, {
    strategy,
    owners,
    workloads: new Map([
      ["default/Deployment/web", deployment("web")],
      ["default/Deployment/api", deployment("api", {}, { "kustomize.toolkit.fluxcd.io/name": "apps" })],
    ]),
    unreadable: new Map(),
  });

/** The plan as the table or -o wide shows it, in namespace default. */
const shown = async (format: "table" | "wide", shownPlan: Plan, noHeaders = true) =>
  (await planRenderer(format))({
    plan: shownPlan,
    warnings: [],
    notes: [],
    noHeaders,
    colors,
    now: 0,
    namespace: "default",
  });

describe("the table", () => {
  it("ACTION is how apply restarts each pod, REASON why", async () => {
    const out = await shown("table", plan("auto"), false);
    expect(text(out.stdout)).toMatchInlineSnapshot(`
      "POD                OWNER                          CONTAINER   IMAGE          RUNNING        LATEST         ACTION    REASON
      web-7d9c8b-x2x9q   Deployment/web                 app         nginx:latest   3bfc269594ef   fb04dcb6970e   rollout   rolling update of Deployment/web's 2 pods, maxSurge 1, maxUnavailable 0
      api-5f6d7c-k8s2d   Deployment/api                 app         nginx:latest   3bfc269594ef   fb04dcb6970e   evict     Deployment/api is managed by Flux (label kustomize.toolkit.fluxcd.io/name): evicted one at a time rather than patched
      legacy-q7w2e       ReplicationController/legacy   app         nginx:latest   3bfc269594ef   fb04dcb6970e   evict     ReplicationController/legacy has no rollout: evicted one at a time

      3 stale (3 to restart in 1 namespace, 0 skipped), 0 unknown, 0 current (3 pods checked)
      "
    `);
    // Its count not read, the one pod listed stands for it.
    expect(out.stderr).toBe(
      "Warning: pod default/legacy-q7w2e: ReplicationController/legacy has one pod running: it is down until its replacement is Ready\n",
    );
  });

  it("-o wide shows the same; a rollout's warning goes to stderr with the pod's other warnings", async () => {
    const out = await shown("wide", plan("rollout"));
    expect(text(out.stdout)).toMatch(
      /web-7d9c8b-x2x9q .* rollout\s+rolling update of Deployment\/web's 2 pods/,
    );
    expect(text(out.stdout)).toMatch(
      /legacy-q7w2e .* skip\s+ReplicationController\/legacy has no rollout: use --strategy evict/,
    );
    expect(out.stderr).toBe(
      "Warning: pod default/api-5f6d7c-k8s2d: Deployment/api is managed by Flux (label kustomize.toolkit.fluxcd.io/name): it may report drift or revert the restartedAt and restarted-for annotations\n",
    );
  });

  it("-o wide says why a pod is restarted so, then its container's note, as for a pod skipped", async () => {
    const note = "the running manifest could not be read (manifest unknown), so its digest alone decides";
    const noted = plan("auto");
    const pods = noted.pods.map((pod) =>
      pod.name.startsWith("api-")
        ? { ...pod, containers: pod.containers.map((c) => ({ ...c, reason: note })) }
        : pod,
    );
    const out = await shown("wide", { ...noted, pods });
    expect(text(out.stdout)).toMatch(
      /api-5f6d7c-k8s2d .* evict\s+Deployment\/api is managed by Flux .*: evicted one at a time rather than patched; the running manifest could not be read/,
    );
  });
});

describe("the Plan document", () => {
  it("adds the strategy asked for and each restart; action values and apiVersion stay", async () => {
    const doc = JSON.parse(
      text(
        (await planRenderer("json"))({
          plan: plan("rollout"),
          warnings: [],
          notes: [],
          noHeaders: false,
          colors,
          now: 0,
          namespace: "default",
        }).stdout,
      ),
    );
    expect(doc.apiVersion).toBe("kubectl-autoupdate/v1");
    expect(doc.strategy).toBe("rollout");
    expect(
      doc.pods.map((p: { name: string; action: string; restart?: object }) => [
        p.name,
        p.action,
        p.restart ?? null,
      ]),
    ).toEqual([
      [
        "web-7d9c8b-x2x9q",
        "delete",
        {
          strategy: "rollout",
          controller: { kind: "Deployment", name: "web" },
          reason: "rolling update of Deployment/web's 2 pods, maxSurge 1, maxUnavailable 0",
        },
      ],
      [
        "api-5f6d7c-k8s2d",
        "delete",
        {
          strategy: "rollout",
          controller: { kind: "Deployment", name: "api" },
          reason: "rolling update of Deployment/api's 2 pods, maxSurge 1, maxUnavailable 0",
        },
      ],
      ["legacy-q7w2e", "skip", null],
    ]);
    expect(doc.pods[2].reason).toBe("ReplicationController/legacy has no rollout: use --strategy evict");
    expect(Object.keys(doc.pods[0])).toEqual([
      "namespace",
      "name",
      "owner",
      "action",
      "reason",
      "warnings",
      "restart",
      "containers",
    ]);
  });
});
