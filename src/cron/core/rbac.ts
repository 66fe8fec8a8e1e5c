/**
 * The RBAC rules install-cron grants the job: exactly the API requests an apply run with its strategy makes,
 * and the record it keeps. Pure.
 */
import type { StrategyName } from "../../core/plan.js";

/** A policy rule as in rbac.authorization.k8s.io/v1. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * The API requests each part of an `apply` run makes, as `group/resource:verb`. Secrets are read by name,
 * never listed; a pod is read before its eviction or deletion by a list of its name, not a GET; workloads
 * are patched, never updated.
 */
const requests = {
  /**
   * Gathering: the pods, their owners in between, pull secrets and ServiceAccounts. A rollout lists a
   * Deployment's ReplicaSets too, to tell its pods from those of another workload its selector matches.
   */
  plan: ["/pods:list", "/secrets:get", "/serviceaccounts:list", "apps/replicasets:list", "batch/jobs:list"],
  /**
   * Pods evicted or deleted one at a time: the recreating controller's selector, its pods watched while they
   * go (listed above), StatefulSets and DaemonSets listed (one being deleted would not recreate its pods),
   * and the budgets (held workloads go last; delete checks them before each deletion; evict names the one
   * that refused).
   */
  paced: [
    "/pods:watch",
    "/replicationcontrollers:get",
    "apps/replicasets:get",
    "apps/statefulsets:get",
    "apps/statefulsets:list",
    "apps/daemonsets:get",
    "apps/daemonsets:list",
    "policy/poddisruptionbudgets:list",
  ],
  delete: ["/pods:delete"],
  evict: ["/pods/eviction:create"],
  /** One list per kind to decide; a get before the patch and while following the rollout; the patch. */
  rollout: ["deployments", "statefulsets", "daemonsets"].flatMap((r) =>
    ["get", "list", "patch"].map((verb) => `apps/${r}:${verb}`),
  ),
  /**
   * An Event after each restart, whatever the strategy (pipeline/restart/events.ts); before pods go one at a
   * time, this tool's Events are read for restarts in vain (core/restarted-for.ts).
   */
  events: ["events.k8s.io/events:create"],
  remembered: ["events.k8s.io/events:list"],
  /** The job's own: the CronJob's Jobs in its namespace, to give way to a run in progress (core/turn.ts). */
  turn: ["batch/jobs:list"],
};

const { plan, paced, events, remembered, turn } = requests;
const requestsByStrategy: Record<StrategyName, string[]> = {
  delete: [...plan, ...paced, ...requests.delete, ...events, ...remembered, ...turn],
  evict: [...plan, ...paced, ...requests.evict, ...events, ...remembered, ...turn],
  rollout: [...plan, ...requests.rollout, ...events, ...turn],
  // auto rolls some controllers and evicts the pods of the others; it never deletes.
  auto: [...plan, ...paced, ...requests.evict, ...requests.rollout, ...events, ...remembered, ...turn],
};

const groupOrder = ["", "apps", "batch", "policy", "events.k8s.io"];
const verbOrder = ["get", "list", "watch", "patch", "create", "delete"];

/**
 * Exactly the API requests an `apply --strategy=STRATEGY` run makes, and no more, one rule per resource.
 * The e2e RBAC test derives the requests a run really makes (`kubectl -v=6`) and requires these rules to
 * equal them.
 */
export function autoupdateRules(strategy: StrategyName): PolicyRule[] {
  const verbs = new Map<string, Set<string>>();
  for (const request of requestsByStrategy[strategy]) {
    const [resource, verb] = request.split(":") as [string, string];
    if (!verbs.has(resource)) verbs.set(resource, new Set());
    verbs.get(resource)!.add(verb);
  }
  const groupOf = (resource: string) => resource.slice(0, resource.indexOf("/"));
  return [...verbs.keys()]
    .sort((a, b) => groupOrder.indexOf(groupOf(a)) - groupOrder.indexOf(groupOf(b)))
    .map((resource) => ({
      apiGroups: [groupOf(resource)],
      resources: [resource.slice(resource.indexOf("/") + 1)],
      verbs: verbOrder.filter((verb) => verbs.get(resource)!.has(verb)),
    }));
}

/**
 * The job's record of restarts in vain (core/restart-record.ts): read before pods go one at a time, patched
 * after a restart in vain or a run that held pods for one. Only that ConfigMap, which install-cron makes.
 */
export function recordRules(name: string): PolicyRule[] {
  return [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [name], verbs: ["get", "patch"] }];
}
