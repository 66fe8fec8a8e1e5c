/**
 * The rules install-cron must grant per --strategy, as `group/resource:verb` (core group empty), written out
 * here rather than taken from src: the unit test holds autoupdateRules to them, the e2e tests the installed
 * Roles and the runs' requests.
 */

/** What every run reads to plan: pods, their owners in between, pull secrets, ServiceAccounts. */
const planning = [
  "/pods:list",
  "/secrets:get",
  "/serviceaccounts:list",
  "apps/replicasets:list",
  "batch/jobs:list",
];
/**
 * Pods one at a time: the recreating controller's selector and its pods watched (readiness), StatefulSets
 * and DaemonSets listed to see one being deleted, and the budgets.
 */
const paced = [
  "/pods:watch",
  "/replicationcontrollers:get",
  "apps/replicasets:get",
  "apps/statefulsets:get",
  "apps/statefulsets:list",
  "apps/daemonsets:get",
  "apps/daemonsets:list",
  "policy/poddisruptionbudgets:list",
];
/** Rollouts: a list per kind to decide, a get before the patch and while following it, the patch. */
const rolling = ["deployments", "statefulsets", "daemonsets"].flatMap((r) =>
  ["get", "list", "patch"].map((v) => `apps/${r}:${v}`),
);
/** An Event on the workload after each restart, whatever the strategy. */
export const recordingEvents = "events.k8s.io/events:create";
const sorted = (tuples: string[]) => [...new Set([...tuples, recordingEvents])].sort();

/** Before pods go one at a time: this tool's Events, for restarts in vain it remembers. */
const remembered = "events.k8s.io/events:list";

export const rulesByStrategy = {
  auto: sorted([...planning, ...paced, remembered, "/pods/eviction:create", ...rolling]),
  rollout: sorted([...planning, ...rolling]),
  evict: sorted([...planning, ...paced, remembered, "/pods/eviction:create"]),
  delete: sorted([...planning, ...paced, remembered, "/pods:delete"]),
} as const;

/**
 * The job's record ConfigMap, `get` and `patch` by its name only, as SelfSubjectRulesReview lists them
 * (`group/resource:verb:name`), for an installation named kubectl-autoupdate: granted in the install's
 * namespace whatever the strategy or scope.
 */
export const recordRuleTuples = [
  "/configmaps:get:kubectl-autoupdate",
  "/configmaps:patch:kubectl-autoupdate",
];
