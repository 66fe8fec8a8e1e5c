/**
 * Every strategy end to end on the real control plane with the simulated kubelet, on every kind of
 * workload it meets: Deployments of 1 and 3 replicas (RollingUpdate and Recreate), a StatefulSet
 * (RollingUpdate and OnDelete), a DaemonSet, a bare ReplicaSet, a paused Deployment and one Argo CD manages.
 * For each strategy, in a namespace of its own: plan says how each workload will be restarted and why;
 * `apply --dry-run` goes to the server and changes nothing (no pod, no template); `apply --yes` restarts
 * exactly what it planned the way it planned (a rollout sets the template's restartedAt, an eviction or
 * deletion never touches the template), leaves what it skipped untouched, and plan is clean afterwards.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Pod } from "../../simulator/index.js";
import {
  apply,
  kk,
  type PlanDoc,
  planJson,
  plugin,
  settledWorkloads,
  useCluster,
} from "../../support/e2e.js";
import { pushImage } from "../../support/images.js";
import { anonymous } from "../../support/registry/distribution.js";
import { daemonSet, deployment, replicaSet, statefulSet } from "../../support/workloads.js";

const strategies = ["auto", "rollout", "evict", "delete"] as const;
type Strategy = (typeof strategies)[number];
type Method = "rollout" | "evict" | "delete";
type Kind = "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet";

const nodes = ["st-containerd", "st-docker"];
const cluster = useCluster({
  nodes: [
    { name: nodes[0]!, runtime: "containerd" },
    { name: nodes[1]!, runtime: "docker" },
  ],
  registries: [anonymous],
});

interface Subject {
  name: string;
  kind: Kind;
  /** Pods it runs (the DaemonSet: one per node). */
  pods: number;
  object: (ns: string, image: string) => object;
  /** Once its pods run (a Deployment created paused would never make any). */
  afterStart?: (ns: string) => Promise<void>;
}

const withStrategy = <T extends { spec: object }>(o: T, spec: object): T => ({
  ...o,
  spec: { ...o.spec, ...spec },
});
const recreate = { strategy: { type: "Recreate" } };

const subjects: Subject[] = [
  { name: "one", kind: "Deployment", pods: 1, object: (ns, image) => deployment("one", ns, 1, { image }) },
  {
    name: "three",
    kind: "Deployment",
    pods: 3,
    object: (ns, image) => deployment("three", ns, 3, { image }),
  },
  {
    name: "recreate-one",
    kind: "Deployment",
    pods: 1,
    object: (ns, image) => withStrategy(deployment("recreate-one", ns, 1, { image }), recreate),
  },
  {
    name: "recreate-three",
    kind: "Deployment",
    pods: 3,
    object: (ns, image) => withStrategy(deployment("recreate-three", ns, 3, { image }), recreate),
  },
  { name: "db", kind: "StatefulSet", pods: 2, object: (ns, image) => statefulSet("db", ns, 2, { image }) },
  {
    name: "ondelete",
    kind: "StatefulSet",
    pods: 2,
    object: (ns, image) =>
      withStrategy(statefulSet("ondelete", ns, 2, { image }), { updateStrategy: { type: "OnDelete" } }),
  },
  {
    name: "agent",
    kind: "DaemonSet",
    pods: nodes.length,
    object: (ns, image) => daemonSet("agent", ns, { image }),
  },
  { name: "bare", kind: "ReplicaSet", pods: 2, object: (ns, image) => replicaSet("bare", ns, 2, { image }) },
  {
    name: "paused",
    kind: "Deployment",
    pods: 1,
    object: (ns, image) => deployment("paused", ns, 1, { image }),
    afterStart: async (ns) => {
      await kk(["rollout", "pause", "deployment/paused", "-n", ns]);
    },
  },
  {
    name: "tracked",
    kind: "Deployment",
    pods: 1,
    object: (ns, image) => {
      const d = deployment("tracked", ns, 1, { image });
      return {
        ...d,
        metadata: { ...d.metadata, labels: { ...d.metadata.labels, "argocd.argoproj.io/instance": "shop" } },
      };
    },
  },
];

/** How each subject is restarted under each strategy (or skipped), with the reason plan gives. */
function expected(
  strategy: Strategy,
  s: Subject,
): { method: Method | "skip"; reason: string; warning?: string } {
  const name = `${s.kind}/${s.name}`;
  // Evicting or deleting a workload or bare ReplicaSet of one replica says it is down meanwhile.
  const down =
    s.pods === 1 && (s.kind === "Deployment" || s.kind === "StatefulSet" || s.kind === "ReplicaSet")
      ? { warning: `${name} has one replica: it is down until its replacement is Ready` }
      : {};
  const evicted = (why: string) => ({
    method: "evict" as const,
    reason: `${why}: evicted one at a time`,
    ...down,
  });
  if (strategy === "evict") {
    return {
      method: "evict",
      reason: "--strategy evict: evicted one at a time, the API server enforces budgets",
      ...down,
    };
  }
  if (strategy === "delete") {
    return {
      method: "delete",
      reason: "--strategy delete: deleted one at a time, budgets checked before each",
      ...down,
    };
  }
  const auto = strategy === "auto";
  const gitOps = "Argo CD (label argocd.argoproj.io/instance)";
  const rolling = (what: string) => ({
    method: "rollout" as const,
    reason: `rolling update of ${name}'s ${what}`,
  });
  switch (s.name) {
    case "one":
      return rolling("1 pod, maxSurge 25%, maxUnavailable 25%");
    case "three":
      return rolling("3 pods, maxSurge 25%, maxUnavailable 25%");
    case "recreate-one":
    case "recreate-three": {
      if (auto) return evicted(`${name} uses Recreate (a rollout stops every pod at once)`);
      const which = s.pods === 1 ? "its pod stops" : `all ${s.pods} pods stop`;
      return {
        method: "rollout",
        reason: `Recreate rollout of ${name}: ${which} before any new one starts`,
        warning: `${name} uses the Recreate strategy: its rollout stops every pod before the new ones start`,
      };
    }
    case "db":
      return rolling("2 pods, one at a time from the highest ordinal");
    case "ondelete":
      return auto
        ? evicted(`${name} updates OnDelete`)
        : {
            method: "skip",
            reason: `${name} updates OnDelete: a rollout replaces no pod; use --strategy evict`,
          };
    case "agent":
      return {
        method: "rollout",
        reason: `rolling update of ${name}'s pods on ${nodes.length} nodes, maxSurge 0, maxUnavailable 1`,
      };
    case "bare":
      return auto
        ? evicted(`${name} has no rollout`)
        : { method: "skip", reason: `${name} has no rollout: use --strategy evict` };
    case "paused":
      return auto
        ? evicted(`${name} is paused`)
        : {
            method: "skip",
            reason: `${name} is paused: \`kubectl rollout resume\` it, or use --strategy evict`,
          };
    case "tracked":
      return auto
        ? {
            method: "evict",
            reason: `${name} is managed by ${gitOps}: evicted one at a time rather than patched`,
            ...down,
          }
        : {
            method: "rollout",
            reason: `rolling update of ${name}'s 1 pod, maxSurge 25%, maxUnavailable 25%`,
            warning: `${name} is managed by ${gitOps}: it may report drift or revert the restartedAt and restarted-for annotations`,
          };
  }
  throw new Error(`no expectation for ${s.name}`);
}

const namespaceOf = (strategy: Strategy) => `e2e-strategy-${strategy}`;
const imageOf = (strategy: Strategy) => `${cluster.registry.host}/strategy-${strategy}:latest`;
const resources: Record<Kind, string> = {
  Deployment: "deployments.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
  ReplicaSet: "replicasets.apps",
};
/** v1's digest per strategy. */
const firstDigests = new Map<Strategy, string>();

beforeAll(async () => {
  await Promise.all(
    strategies.map(async (strategy) => {
      const ns = await cluster.namespace(namespaceOf(strategy));
      const image = imageOf(strategy);
      const v1 = await pushImage(image, `strategy ${strategy} v1`);
      firstDigests.set(strategy, v1);
      await apply(...subjects.map((s) => s.object(ns, image)));
      await Promise.all(
        subjects.map(async (s) => {
          await cluster.sim.waitForPods({
            namespace: ns,
            selector: `app=${s.name}`,
            count: s.pods,
            digest: v1,
            // About 60 pods start at once across the four namespaces; StatefulSets one at a time.
            timeoutMs: 180_000,
          });
          await s.afterStart?.(ns);
        }),
      );
      await settledWorkloads(ns);
    }),
  );
});

/** Pods not terminating, as `name uid`, and each workload's generation and template restartedAt. */
async function snapshot(
  ns: string,
): Promise<{ pods: Map<string, string[]>; templates: Map<string, string> }> {
  const list = JSON.parse(await kk(["get", "pods", "-n", ns, "-o", "json"])).items as Pod[];
  const pods = new Map<string, string[]>();
  for (const p of list.filter((x) => !x.metadata.deletionTimestamp)) {
    const app = p.metadata.labels?.["app"] ?? "";
    pods.set(app, [...(pods.get(app) ?? []), `${p.metadata.name} ${p.metadata.uid}`].sort());
  }
  const objects = JSON.parse(await kk(["get", Object.values(resources).join(","), "-n", ns, "-o", "json"]))
    .items as {
    kind: string;
    metadata: { name: string; generation: number; ownerReferences?: unknown[] };
    spec: { template: { metadata: { annotations?: Record<string, string> } } };
  }[];
  const templates = new Map<string, string>();
  for (const o of objects.filter((x) => !x.metadata.ownerReferences)) {
    const restartedAt = o.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"] ?? "-";
    templates.set(
      `${o.kind}/${o.metadata.name}`,
      `generation ${o.metadata.generation}, restartedAt ${restartedAt}`,
    );
  }
  return { pods, templates };
}

/** How apply names a workload: `deployment.apps NS/one`. */
const ref = (s: Subject, ns: string) => `${s.kind.toLowerCase()}.apps ${ns}/${s.name}`;

describe.each(strategies)("--strategy %s", (strategy) => {
  const ns = namespaceOf(strategy);
  const plans = subjects.map((s) => ({ subject: s, ...expected(strategy, s) }));
  const restarted = plans.filter((p) => p.method !== "skip");
  const rolled = plans.filter((p) => p.method === "rollout");
  const oneByOne = plans.filter((p) => p.method === "evict" || p.method === "delete");
  const skipped = plans.filter((p) => p.method === "skip");
  const podCount = (list: typeof plans) => list.reduce((n, p) => n + p.subject.pods, 0);
  let v1: string;
  let v2: string;
  let planned: PlanDoc;

  beforeAll(async () => {
    v1 = firstDigests.get(strategy)!;
    v2 = await pushImage(imageOf(strategy), `strategy ${strategy} v2`);
  });

  it("plan: each workload's restart and why, in the document and the table", async () => {
    planned = await planJson(["-n", ns, "--resolver", "registry", "--strategy", strategy]);
    expect(planned.strategy).toBe(strategy);
    const seen = planned.pods
      .map((p) => {
        const how = p.restart
          ? `${p.restart.strategy} ${p.restart.controller.kind}/${p.restart.controller.name}`
          : p.action;
        return `${p.owner?.kind}/${p.owner?.name}: ${how}: ${p.restart?.reason ?? p.reason} [${p.warnings.join("; ")}]`;
      })
      .sort();
    const wanted = plans
      .flatMap((p) => {
        const how = p.method === "skip" ? "skip" : `${p.method} ${p.subject.kind}/${p.subject.name}`;
        const line = `${p.subject.kind}/${p.subject.name}: ${how}: ${p.reason} [${p.warning ?? ""}]`;
        return Array.from({ length: p.subject.pods }, () => line);
      })
      .sort();
    expect(seen).toEqual(wanted);
    for (const pod of planned.pods) {
      expect(pod.action).toBe(pod.restart ? "delete" : "skip");
      expect(pod.containers[0]).toMatchObject({ status: "stale", runningDigest: v1, latestDigest: v2 });
    }

    const table = await plugin(["plan", "-n", ns, "--resolver", "registry", "--strategy", strategy]);
    expect(table.code, table.stderr).toBe(0);
    for (const p of plans) {
      const rows = table.stdout
        .split("\n")
        .filter((l) => l.includes(` ${p.subject.kind}/${p.subject.name} `));
      expect(rows, p.subject.name).toHaveLength(p.subject.pods);
      for (const row of rows) expect(row, p.subject.name).toMatch(new RegExp(`\\s${p.method}\\s+\\S`));
    }
    const total = podCount(plans);
    expect(table.stdout).toContain(
      `${total} stale (${podCount(restarted)} to restart in 1 namespace, ${podCount(skipped)} skipped), 0 unknown, 0 current (${total} pods checked)`,
    );
    for (const p of plans.filter((x) => x.warning)) expect(table.stderr).toContain(p.warning);
  });

  it("apply --dry-run: every restart goes to the server as a dry run, and nothing changes", async () => {
    const before = await snapshot(ns);
    const result = await plugin([
      "apply",
      "--dry-run",
      "-n",
      ns,
      "--resolver",
      "registry",
      "--strategy",
      strategy,
    ]);
    expect(result.code, result.stderr).toBe(0);
    for (const p of rolled)
      expect(result.stdout).toContain(`${ref(p.subject, ns)} restarted (rollout, server dry run)\n`);
    const past = { evict: "evicted", delete: "deleted" } as const;
    for (const p of oneByOne) {
      const names = planned.pods.filter((x) => x.owner?.name === p.subject.name).map((x) => x.name);
      expect(names).toHaveLength(p.subject.pods);
      for (const name of names) {
        expect(result.stdout).toContain(
          `pod ${ns}/${name} ${past[p.method as "evict" | "delete"]} (server dry run)\n`,
        );
      }
    }
    expect(result.stdout).not.toMatch(/not (rolled|evicted|deleted|restarted)/);
    expect(await snapshot(ns)).toEqual(before);
  });

  it("apply --yes: each workload restarted as planned, the skipped ones untouched; plan is clean", async () => {
    const before = await snapshot(ns);
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      ns,
      "--resolver",
      "registry",
      "--strategy",
      strategy,
      "--verbose",
    ]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);

    // Each controller whose pods go one at a time has its pods listed and then watched while its
    // replacements start, not listed at every poll: each list starts a watch (a list again after a quiet
    // spell starts another), and there are fewer lists than pods, where polling took at least two a pod.
    const byController = result.stderr
      .split("\n")
      .filter(
        (l) =>
          l.startsWith("exec: ") &&
          l.includes(` get --raw /api/v1/namespaces/${ns}/pods?`) &&
          l.includes("labelSelector="),
      );
    const watches = byController.filter((l) => l.includes("watch=true"));
    expect(watches.length, byController.join("\n")).toBeGreaterThanOrEqual(oneByOne.length);
    if (rolled.length === 0) {
      expect(byController.length - watches.length, byController.join("\n")).toBe(watches.length);
      expect(watches.length).toBeLessThan(podCount(oneByOne));
    }

    for (const p of rolled) {
      const replaced = `${p.subject.pods} ${p.subject.pods === 1 ? "pod" : "pods"} replaced`;
      expect(result.stdout).toContain(`${ref(p.subject, ns)} restarted (rollout): ${replaced}\n`);
    }
    const verb = { evict: "evicted", delete: "deleted" } as const;
    const podLines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    const wantedLines = oneByOne.flatMap((p) =>
      planned.pods
        .filter((x) => x.owner?.name === p.subject.name)
        .map((x) => `pod ${ns}/${x.name} ${verb[p.method as "evict" | "delete"]}`),
    );
    expect(podLines.sort()).toEqual(wantedLines.sort());
    const counts = [
      [podCount(rolled), "replaced by rollout"],
      [podCount(oneByOne), strategy === "delete" ? "deleted" : "evicted"],
    ].filter(([n]) => n !== 0);
    expect(result.stdout).toContain(
      `${counts.map(([n, what]) => `${n} ${what}`).join(", ")} (of ${podCount(restarted)} planned)\n`,
    );
    for (const p of plans.filter((x) => x.warning)) expect(result.stderr).toContain(p.warning);

    // Restarted: every pod new and on v2. Skipped: the same pods, still on v1.
    for (const p of restarted) {
      const now = await cluster.sim.waitForPods({
        namespace: ns,
        selector: `app=${p.subject.name}`,
        count: p.subject.pods,
        digest: v2,
      });
      const old = before.pods.get(p.subject.name)!;
      expect(
        now.filter((pod) => old.includes(`${pod.metadata.name} ${pod.metadata.uid}`)),
        p.subject.name,
      ).toEqual([]);
    }
    const after = await snapshot(ns);
    for (const p of skipped)
      expect(after.pods.get(p.subject.name), p.subject.name).toEqual(before.pods.get(p.subject.name));

    // Only a rollout changes the template: its restartedAt, by field manager kubectl-autoupdate.
    for (const p of plans) {
      const key = `${p.subject.kind}/${p.subject.name}`;
      if (p.method === "rollout") {
        expect(after.templates.get(key), key).toMatch(
          /^generation \d+, restartedAt \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
        );
        const managers = JSON.parse(
          await kk([
            "get",
            resources[p.subject.kind],
            p.subject.name,
            "-n",
            ns,
            "--show-managed-fields",
            "-o",
            "json",
          ]),
        ).metadata.managedFields as { manager: string; operation: string; fieldsV1: object }[];
        const ours = managers.filter((m) => m.manager === "kubectl-autoupdate");
        expect(
          ours.map((m) => m.operation),
          key,
        ).toEqual(["Update"]);
        expect(JSON.stringify(ours[0]!.fieldsV1), key).toContain('"f:kubectl.kubernetes.io/restartedAt"');
      } else {
        expect(after.templates.get(key), key).toBe(before.templates.get(key));
      }
    }

    const clean = await planJson(["-n", ns, "--resolver", "registry", "--strategy", strategy]);
    expect(clean.pods).toHaveLength(podCount(plans));
    for (const pod of clean.pods) {
      const skippedOwner = skipped.some((p) => p.subject.name === pod.owner?.name);
      expect(`${pod.owner?.name} ${pod.action} ${pod.containers[0]!.status}`).toBe(
        `${pod.owner?.name} ${skippedOwner ? "skip stale" : "none current"}`,
      );
    }
    expect(cluster.sim.errors).toEqual([]);
  });
});
