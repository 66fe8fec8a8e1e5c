/**
 * A Kubectl for makePlan over pods held in memory: each pod handed over as it is listed, the owners given,
 * every namespace's default ServiceAccount, no secrets, linux nodes of the architecture `nodeArch` names;
 * no workloads, budgets or remembered restarts. A test replaces any call it varies.
 */
import type { Kubectl, PodListListener, PodScope } from "../../src/adapters/kubectl.js";
import type { KubeObject, Pod } from "../../src/core/k8s.js";
import { makePod, makeReplicaSet } from "./pods.js";

export interface PlanKubectlOptions {
  owners?: readonly KubeObject[];
  /** A node's architecture by its name. */
  nodeArch?: (node: string) => string;
  /** Calls that answer otherwise. */
  calls?: Partial<Record<keyof Kubectl, unknown>>;
}

export function planKubectl(
  pods: readonly Pod[],
  { owners = [], nodeArch = () => "amd64", calls = {} }: PlanKubectlOptions = {},
): Kubectl {
  return {
    async listPods(_scope: PodScope, { onPod }: PodListListener = {}) {
      for (const pod of pods) onPod?.(pod);
      return [...pods];
    },
    listObjects: async () => [...owners],
    listServiceAccounts: async () =>
      [...new Set(pods.map((p) => p.metadata.namespace ?? "default"))].map((namespace) => ({
        metadata: { name: "default", namespace },
      })),
    getSecrets: async () => [],
    getNodes: async (names: readonly string[]) =>
      names.map((name) => ({
        kind: "Node",
        metadata: { name },
        status: { nodeInfo: { operatingSystem: "linux", architecture: nodeArch(name) } },
      })),
    listWorkloads: async () => [],
    listDisruptionBudgetsIn: async () => [],
    listRememberedRestarts: async () => [],
    ...calls,
  } as unknown as Kubectl;
}

/** A cluster of one pod on node-1, running `registry.example/app:main` by `running`, on an `architecture` node. */
export function onePodPlanKubectl(running: string, architecture: string): Kubectl {
  const pod = makePod({
    name: "app-1-abcde",
    node: "node-1",
    owner: { kind: "ReplicaSet", name: "app-1" },
    containers: [{ name: "app", image: "registry.example/app:main", runningDigest: running }],
  });
  return planKubectl([pod], { owners: [makeReplicaSet("app-1", "app")], nodeArch: () => architecture });
}
