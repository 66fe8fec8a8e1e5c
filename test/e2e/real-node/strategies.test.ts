/**
 * The tool's whole point on a real node (kubelet v1.35.4 + containerd 2.2.9): a Deployment, a StatefulSet and
 * a DaemonSet (and, under auto, a Recreate Deployment) run a tag; a new image is pushed to the tag; `plan`
 * finds every pod stale and says how each restart strategy replaces it; `apply --strategy S --yes` replaces
 * them, the real kubelet pulls the new image, and the next `plan` shows nothing stale, also once the same
 * image is pushed to the tag again. One namespace per
 * strategy, each on its own tag and its own move between single-platform manifests and multi-arch indexes,
 * so containerd's index digests and manifest digests are both judged. The registry requests of every plan
 * are counted at the proxy in front of the registry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, type PlanDoc, planJson, plugin, settledWorkloads } from "../../support/e2e.js";
import { digestOf, type RegistryCost, settledPods, useRealNode } from "../../support/real-node.js";
import { daemonSet, deployment, statefulSet } from "../../support/workloads.js";
import type { Pushed } from "../../testbed/node-images.js";

type Strategy = "auto" | "rollout" | "evict" | "delete";
type Form = "manifest" | "index";
interface Case {
  strategy: Strategy;
  /** What the tag names before and after the move. */
  from: Form;
  to: Form;
  /** apply's resolver (plans use the registry resolver, whose requests are counted). */
  resolver: "docker" | "registry";
}
const cases: Case[] = [
  { strategy: "auto", from: "manifest", to: "manifest", resolver: "docker" },
  { strategy: "rollout", from: "index", to: "index", resolver: "registry" },
  { strategy: "evict", from: "manifest", to: "index", resolver: "registry" },
  { strategy: "delete", from: "index", to: "manifest", resolver: "docker" },
];
const nsOf = (c: Case) => `e2e-rn-${c.strategy}`;
const repoOf = (c: Case) => `strategy-${c.strategy}`;
const tag = "live";

const lane = useRealNode({ name: "rn-strategies", namespaces: cases.map(nsOf) });

/** The workloads of a case's namespace: pods per workload, and the restart each strategy gives it. */
const workloads = (c: Case) => [
  { kind: "Deployment", name: "web", pods: 2 },
  { kind: "StatefulSet", name: "db", pods: 2 },
  { kind: "DaemonSet", name: "agent", pods: 1 },
  ...(c.strategy === "auto" ? [{ kind: "Deployment", name: "batch", pods: 1 }] : []),
];
const podCount = (c: Case) => workloads(c).reduce((n, w) => n + w.pods, 0);
/**
 * How `plan --strategy S` restarts a workload's pods. auto evicts the Recreate Deployment and the DaemonSet
 * (on one node, its rollout deletes its only pod first), and rolls the rest out.
 */
const restartOf = (c: Case, name: string) =>
  c.strategy === "auto" ? (name === "batch" || name === "agent" ? "evict" : "rollout") : c.strategy;
/** What the plan warns of for a workload's pods: each way, a workload of one pod is down meanwhile. */
const warningsOf = (c: Case, name: string): string[] => {
  if (name === "batch")
    return ["Deployment/batch has one replica: it is down until its replacement is Ready"];
  if (name !== "agent") return [];
  return restartOf(c, name) === "rollout"
    ? [
        "DaemonSet/agent's rollout stops every pod before the new ones are Ready (maxSurge 0, maxUnavailable 1 of 1 node)",
      ]
    : ["DaemonSet/agent runs on one node: it is down until its replacement is Ready"];
};

/** The version pushed as `kind`: a single amd64 manifest, or an index of amd64 and arm64 images. */
async function push(c: Case, version: string, form: Form): Promise<Pushed> {
  const repo = repoOf(c);
  const amd64 = await lane.images.image(repo, `${c.strategy} ${version}`, form === "manifest" ? { tag } : {});
  if (form === "manifest") return amd64;
  const arm64 = await lane.images.image(repo, `${c.strategy} ${version} arm64`, { arch: "arm64" });
  return lane.images.index(repo, [amd64, arm64], { tag });
}

const v1 = new Map<Strategy, Pushed>();
/** Registry cost of each plan, by case and step: printed at the end for the README's numbers. */
const costs: Record<string, RegistryCost> = {};

beforeAll(async () => {
  for (const c of cases) v1.set(c.strategy, await push(c, "v1", c.from));
  for (const c of cases) {
    const ns = nsOf(c);
    const o = {
      image: lane.ref(repoOf(c), tag),
      pullPolicy: "Always" as const,
      terminationGracePeriodSeconds: 1,
      ...lane.onNode,
    };
    const recreate = deployment("batch", ns, 1, o);
    await apply(
      deployment("web", ns, 2, o),
      statefulSet("db", ns, 2, o),
      daemonSet("agent", ns, o),
      ...(c.strategy === "auto"
        ? [{ ...recreate, spec: { ...recreate.spec, strategy: { type: "Recreate" } } }]
        : []),
    );
  }
  for (const c of cases) {
    const digest = v1.get(c.strategy)!.digest;
    await settledPods(nsOf(c), "app", podCount(c), (p) => digestOf(p.imageID) === digest);
    await settledWorkloads(nsOf(c));
  }
});

async function plan(c: Case, step: string): Promise<PlanDoc> {
  const { result, cost } = await lane.counting(
    () => planJson(["-n", nsOf(c), "--resolver", "registry", "--strategy", c.strategy]),
    repoOf(c),
  );
  costs[`${c.strategy} ${c.from}→${c.to}: ${step}`] = cost;
  return result;
}

/** The step for every case at once: each in its own namespace, on its own tag. */
const each = async (step: (c: Case) => Promise<void>) => {
  await Promise.all(cases.map(step));
};
const v2 = new Map<Strategy, Pushed>();
const before = new Map<Strategy, Set<string>>();

describe("each strategy in its namespace: Deployment, StatefulSet, DaemonSet on a tag that moves", () => {
  it("plan: every pod current, for one HEAD per reference and no GET", () =>
    each(async (c) => {
      const doc = await plan(c, "nothing moved");
      expect(doc.pods, c.strategy).toHaveLength(podCount(c));
      before.set(c.strategy, new Set((await settledPods(nsOf(c), "app", podCount(c))).map((p) => p.uid)));
      const digest = v1.get(c.strategy)!.digest;
      for (const pod of doc.pods) {
        expect(pod, pod.name).toMatchObject({ action: "none" });
        expect(pod.containers[0], pod.name).toMatchObject({
          status: "current",
          runningDigest: digest,
          latestDigest: digest,
        });
      }
      const cost = costs[`${c.strategy} ${c.from}→${c.to}: nothing moved`]!;
      expect(cost, c.strategy).toMatchObject({ manifestHead: 1, manifestGet: 0, blobGet: 0 });
    }));

  it("the tag moves: plan finds every pod stale and names the strategy's restart for each", () =>
    each(async (c) => {
      const pushed = await push(c, "v2", c.to);
      v2.set(c.strategy, pushed);
      const doc = await plan(c, "moved");
      expect(doc.strategy).toBe(c.strategy);
      expect(doc.pods, c.strategy).toHaveLength(podCount(c));
      for (const pod of doc.pods) {
        expect(pod, pod.name).toMatchObject({ action: "delete", warnings: warningsOf(c, pod.owner!.name) });
        expect(pod.restart?.strategy, `${c.strategy} ${pod.name}`).toBe(restartOf(c, pod.owner!.name));
        expect(pod.containers[0], pod.name).toMatchObject({
          status: "stale",
          runningDigest: v1.get(c.strategy)!.digest,
          latestDigest: pushed.digest,
        });
      }
    }));

  it("apply --strategy auto|rollout|evict|delete --yes replaces every pod; the node pulls the new image", () =>
    each(async (c) => {
      const ns = nsOf(c);
      const result = await plugin([
        "apply",
        "--yes",
        "-n",
        ns,
        "--strategy",
        c.strategy,
        "--resolver",
        c.resolver,
        "--wait-timeout",
        "3m",
      ]);
      console.error(`apply --strategy ${c.strategy}:\n${result.stdout}${result.stderr}`);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      for (const w of workloads(c)) {
        const how = restartOf(c, w.name);
        if (how === "rollout") {
          const pods = w.pods === 1 ? "1 pod" : `${w.pods} pods`;
          expect(result.stdout).toContain(
            `${w.kind.toLowerCase()}.apps ${ns}/${w.name} restarted (rollout): ${pods} replaced\n`,
          );
        } else {
          const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/${w.name}-`));
          expect(lines, `${c.strategy} ${w.name}`).toHaveLength(w.pods);
          for (const line of lines) expect(line).toMatch(how === "evict" ? / evicted$/ : / deleted$/);
        }
      }
      const digest = v2.get(c.strategy)!.digest;
      const after = await settledPods(ns, "app", podCount(c), (p) => digestOf(p.imageID) === digest);
      for (const pod of after) {
        expect(before.get(c.strategy)!.has(pod.uid), pod.name).toBe(false);
        expect(pod.imageID).toBe(lane.ref(repoOf(c), digest));
      }
    }));

  it("the next plan shows nothing stale, for one HEAD and no GET; also once the same image is pushed again", () =>
    each(async (c) => {
      const digest = v2.get(c.strategy)!.digest;
      for (const step of ["after apply", "re-pushed"]) {
        // A CI job that pushes the same bytes again: the tag is written, its digest stays.
        if (step === "re-pushed") await lane.images.tag(v2.get(c.strategy)!, tag);
        const doc = await plan(c, step);
        expect(doc.pods, c.strategy).toHaveLength(podCount(c));
        for (const pod of doc.pods) {
          expect(pod, `${step} ${pod.name}`).toMatchObject({ action: "none" });
          expect(pod.containers[0], `${step} ${pod.name}`).toMatchObject({
            status: "current",
            runningDigest: digest,
            latestDigest: digest,
          });
        }
        const cost = costs[`${c.strategy} ${c.from}→${c.to}: ${step}`]!;
        expect(cost, `${c.strategy} ${step}`).toMatchObject({ manifestHead: 1, manifestGet: 0, blobGet: 0 });
      }
    }));
});

afterAll(() => {
  const lines = Object.entries(costs).map(
    ([step, c]) => `  ${step}: HEAD ${c.manifestHead}, GET ${c.manifestGet}, blob GET ${c.blobGet}`,
  );
  console.error(`registry requests per plan (--resolver registry):\n${lines.join("\n")}`);
});
