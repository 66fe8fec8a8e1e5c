/**
 * install-cron's Role per --strategy, held to real runs: for each strategy, the installed CronJob's own
 * command runs with its ServiceAccount's token (as in-cluster) through a kubectl that logs every API request
 * (-v=6), against stale workloads of every kind on simulated nodes. The run meets no refusal, and the Role's
 * rules are exactly the requests it made: none missing, none unused (but the record ConfigMap's patch, which
 * needs a restart in vain). The workloads are chosen so that each
 * strategy uses every rule it has: auto rolls the RollingUpdate Deployment, StatefulSet and DaemonSet
 * (list, get, patch) and evicts the rest (the recreating controller's get for the readiness wait, a
 * budget's 429 and the list that names it); evict and delete go one pod at a time through every kind of
 * controller (delete reads the budgets before each deletion).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type RequestRecorder, recordingKubectl, ruleTuples } from "../../support/api-requests.js";
import { rulesByStrategy } from "../../support/cron-cluster.js";
import {
  apply,
  kk,
  kubectlPath,
  plugin,
  settledWorkloads,
  tokenKubeconfig,
  useCluster,
} from "../../support/e2e.js";
import { pushImage } from "../../support/images.js";
import { anonymous } from "../../support/registry/distribution.js";
import {
  daemonSet,
  deployment,
  dockerConfigSecret,
  job,
  replicaSet,
  statefulSet,
} from "../../support/workloads.js";

const strategies = ["auto", "rollout", "evict", "delete"] as const;
type Strategy = (typeof strategies)[number];
const node = "rbac-containerd";
const cluster = useCluster({
  nodes: [
    { name: node, runtime: "containerd" },
    { name: "rbac-crio", runtime: "cri-o" },
  ],
  registries: [anonymous],
});

const namespaceOf = (s: Strategy) => `e2e-rbac-${s}`;
const onDelete = { updateStrategy: { type: "OnDelete" } };
/**
 * On one node a DaemonSet is rolled only when it surges: otherwise its rollout deletes its only pod first.
 */
const surge = {
  updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
};
const spec = <T extends { spec: object }>(o: T, extra: object): T => ({
  ...o,
  spec: { ...o.spec, ...extra },
});
/**
 * One pod of each, so every kind of controller is met; DaemonSets on one node. The StatefulSet has two: auto
 * evicts the only pod of one (its rollout would delete it first), and must roll one.
 */
const apps = ["roll", "recreate", "db", "ondelete", "agent", "od-agent", "legacy", "guarded"];
const podCount = apps.length + 1;

function workloads(ns: string, image: string) {
  const o = { image };
  const oneNode = { image, nodeSelector: { "kubernetes.io/hostname": node } };
  const legacy = deployment("legacy", ns, 1, o);
  return [
    dockerConfigSecret("regcred", ns, {
      [cluster.registry.host]: { username: "ci", password: "unused-by-an-open-registry" },
    }),
    // A pull secret on the pod (secrets get); every other pod names none (serviceaccounts list).
    deployment("roll", ns, 1, { ...o, pullSecrets: ["regcred"] }),
    spec(deployment("recreate", ns, 1, o), { strategy: { type: "Recreate" } }),
    statefulSet("db", ns, 2, o),
    spec(statefulSet("ondelete", ns, 1, o), onDelete),
    spec(daemonSet("agent", ns, oneNode), surge),
    spec(daemonSet("od-agent", ns, oneNode), onDelete),
    {
      apiVersion: "v1",
      kind: "ReplicationController",
      metadata: { name: "legacy", namespace: ns },
      spec: { replicas: 1, selector: { app: "legacy" }, template: legacy.spec.template },
    },
    // A bare ReplicaSet whose budget allows no disruption: its eviction answers 429.
    replicaSet("guarded", ns, 1, o),
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "guard", namespace: ns },
      spec: { maxUnavailable: 0, selector: { matchLabels: { app: "guarded" } } },
    },
    // A finished Job's pod: its owner is listed (jobs list), it is never restarted.
    job("once", ns, o),
  ];
}

/** How each strategy's run ends: what it restarts, and the pod the budget keeps. */
const outcomes: Record<Strategy, { code: number; lines: string[] }> = {
  auto: {
    code: 1,
    lines: [
      "deployment.apps NS/roll restarted (rollout): 1 pod replaced",
      "statefulset.apps NS/db restarted (rollout): 2 pods replaced",
      "daemonset.apps NS/agent restarted (rollout): 1 pod replaced",
      "recreate evicted",
      "ondelete evicted",
      "od-agent evicted",
      "legacy evicted",
      "guarded not evicted: PodDisruptionBudget guard allows no disruption now",
    ],
  },
  rollout: {
    code: 0,
    lines: [
      "deployment.apps NS/roll restarted (rollout): 1 pod replaced",
      "deployment.apps NS/recreate restarted (rollout): 1 pod replaced",
      "statefulset.apps NS/db restarted (rollout): 2 pods replaced",
      "daemonset.apps NS/agent restarted (rollout): 1 pod replaced",
    ],
  },
  evict: {
    code: 1,
    lines: [
      ...["roll", "recreate", "db", "db", "ondelete", "agent", "od-agent", "legacy"].map(
        (a) => `${a} evicted`,
      ),
      "guarded not evicted: PodDisruptionBudget guard allows no disruption now",
    ],
  },
  delete: {
    code: 1,
    lines: [
      ...["roll", "recreate", "db", "db", "ondelete", "agent", "od-agent", "legacy"].map(
        (a) => `${a} deleted`,
      ),
      "guarded not deleted: PodDisruptionBudget guard allows no disruption now",
    ],
  },
};

beforeAll(async () => {
  await Promise.all(
    strategies.map(async (strategy) => {
      const ns = await cluster.namespace(namespaceOf(strategy));
      const image = `${cluster.registry.host}/rbac-${strategy}:latest`;
      const v1 = await pushImage(image, `rbac ${strategy} v1`);
      await apply(...workloads(ns, image));
      await Promise.all([
        cluster.sim.waitForPods({
          namespace: ns,
          selector: `app in (${apps.join(",")})`,
          count: podCount,
          digest: v1,
          timeoutMs: 180_000,
        }),
        cluster.sim.waitForPods({ namespace: ns, selector: "app=once", count: 1, phase: "Succeeded" }),
      ]);
      await settledWorkloads(ns);
      await pushImage(image, `rbac ${strategy} v2`);
      const installed = await plugin(["install-cron", "-n", ns, "--strategy", strategy, "--suspend"]);
      expect(installed.code, installed.stderr).toBe(0);
    }),
  );
});

describe.each(strategies)("--strategy %s", (strategy) => {
  const ns = namespaceOf(strategy);
  let recorder: RequestRecorder;

  it("the job's command, as its ServiceAccount, restarts what that strategy restarts and meets no refusal", async () => {
    recorder = recordingKubectl(kubectlPath());
    const cron = JSON.parse(await kk(["get", "cronjob", "kubectl-autoupdate", "-n", ns, "-o", "json"]));
    const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
    const [, ...args] = container.command as string[];
    expect(args).toContain(`--strategy=${strategy}`);
    // The record ConfigMap the job reads before pods go one at a time, as the CronJob names it.
    const recordEnv = (container.env as { name: string; value?: string }[]).find(
      (e) => e.name === "KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP",
    );
    // A rollout keeps no record: its record is in the template.
    expect(recordEnv?.value).toBe(strategy === "rollout" ? undefined : `${ns}/kubectl-autoupdate`);
    const pods = JSON.parse(await kk(["get", "pods", "-n", ns, "-o", "json"])).items as {
      metadata: { name: string; labels: Record<string, string> };
    }[];
    const appOf = new Map(pods.map((p) => [p.metadata.name, p.metadata.labels["app"]!]));
    const token = (await kk(["create", "token", "kubectl-autoupdate", "-n", ns, "--duration=1h"])).trim();
    const kubeconfig = tokenKubeconfig("kubectl-autoupdate", ns, token);
    // The budget's refusal is waited out for 3 s, not the 5-minute default.
    const result = await plugin([...args, `--kubectl=${recorder.path}`, "--wait-timeout=3s"], {
      KUBECONFIG: kubeconfig,
      ...(recordEnv?.value ? { KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: recordEnv.value } : {}),
    });
    expect(result.stderr).not.toMatch(/forbidden|cannot (get|list|patch|create|delete)/i);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(outcomes[strategy].code);
    // Each pod line by its app; each rollout line with NS for the namespace.
    const lines = result.stdout
      .split("\n")
      .filter((l) => /^(pod|\w+\.apps) \S+\/\S+ /.test(l))
      .map((l) => l.replace(/^pod \S+?\/(\S+) /, (_, name: string) => `${appOf.get(name) ?? name} `))
      .map((l) => l.replace(` ${ns}/`, " NS/"))
      .sort();
    expect(lines).toEqual([...outcomes[strategy].lines].sort());
  });

  it("the installed Role's rules are exactly the requests the run made: none missing, none unused", async () => {
    const role = JSON.parse(await kk(["get", "role", "kubectl-autoupdate", "-n", ns, "-o", "json"]));
    type Rule = { resources: string[]; resourceNames?: string[]; verbs: string[] };
    const [byName, rules] = [
      (role.rules as Rule[]).filter((r) => r.resourceNames),
      (role.rules as Rule[]).filter((r) => !r.resourceNames),
    ];
    expect(ruleTuples(rules)).toEqual(rulesByStrategy[strategy]);
    // The record ConfigMap, by its name only: read before pods go one at a time (a rollout keeps none);
    // patched only after a restart in vain, which these runs have none of (test/e2e/pull-policy.test.ts).
    const recordRule = {
      apiGroups: [""],
      resources: ["configmaps"],
      resourceNames: ["kubectl-autoupdate"],
      verbs: ["get", "patch"],
    };
    expect(byName).toEqual(strategy === "rollout" ? [] : [recordRule]);
    const recordRead = strategy === "rollout" ? [] : ["/configmaps:get"];
    expect(recorder.requests("allowed")).toEqual([...ruleTuples(rules), ...recordRead].sort());
    expect(recorder.requests("refused")).toEqual([]);
  });
});
