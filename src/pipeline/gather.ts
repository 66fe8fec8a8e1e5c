/**
 * Gathering: kubectl calls that grow with pages, never with pods — the pod list (one call per page);
 * alongside it, each started by the first pod that needs it, the lists of the owners in between
 * (ReplicaSets, Jobs) and of the ServiceAccounts (their pull secrets, for pods naming none; whether each
 * pod's still exists, whenever a pod may be stale); then the pull secrets actually referenced, one `get` per
 * namespace.
 */
import type { Kubectl, PodScope } from "../adapters/kubectl.js";
import { isCallFailure } from "../adapters/kubectl-errors.js";
import { containerLists } from "../core/containers.js";
import type { DisruptionBudget } from "../core/disruption-budget.js";
import {
  type ImageInUse,
  imagesInUse,
  imagesToResolve,
  needsAccountSecrets,
  type SecretRef,
  type TagInUse,
  tagsWorthResolving,
} from "../core/images-in-use.js";
import {
  ignoreLabel,
  type OwnerObject,
  type Pod,
  type ServiceAccount,
  serviceAccountOf,
} from "../core/k8s.js";
import { type KeyedCredential, keyedCredentials, pullSecretAuths } from "../core/keyring.js";
import { isObjectName } from "../core/object-name.js";
import { indexOwners, type OwnerIndex, ownerResourceOf, ownerResourcesToList } from "../core/owners.js";
import type { StrategyName } from "../core/plan.js";
import { mayRoll, optedOutByTarget, workloadKey } from "../core/restart-strategy.js";
import { imageSelection, onlyImages } from "../core/select-images.js";
import type { Workload, WorkloadKind } from "../core/workload.js";
import { groupBy } from "../util/group-by.js";
import { IdentityMemo } from "../util/identity-memo.js";
import { mapLimit } from "../util/map-limit.js";
import { StartOnce } from "../util/start-once.js";

export interface Inventory {
  pods: Pod[];
  owners: OwnerIndex;
  /** The images worth resolving (core's imagesToResolve). */
  images: ImageInUse[];
  /** Parsed pull secrets by `namespace/name`; absent when missing or not a pull secret. */
  pullSecrets: Map<string, KeyedCredential[]>;
  /** Pull secrets the kubelet cannot read, by `namespace/name`: why (core/keyring.ts pullSecretAuths). */
  unreadablePullSecrets: Map<string, string>;
  /** Extra pull secrets from ServiceAccounts, per image key (pods naming none of their own). */
  accountSecrets: Map<string, SecretRef[]>;
  /** The pull secrets' names of those ServiceAccounts, by `namespace/name`: a new pod of theirs gets them. */
  accountPullSecrets: Map<string, string[]>;
  /** Every ServiceAccount in scope, by `namespace/name`, when they were listed. */
  serviceAccounts?: Set<string>;
  /** Problems that did not stop the plan (an unreadable secret only leaves its images unresolved). */
  warnings: string[];
}

export interface GatherOptions {
  /** Pull secrets are read this many namespaces at a time. */
  concurrency: number;
  /** --image: only pods running these normalized references. */
  only?: ReadonlySet<string>;
  /** How many pods have been listed so far, every `listedStep` of them: a large list takes seconds. */
  onListed?: (pods: number) => void;
  /**
   * A tag worth resolving, first seen in a pod that names no pull secret and whose ServiceAccount names
   * none: what the registry is asked with is known already, so it can be asked while the list goes on.
   * Once per tag, and only before gather returns.
   */
  onTagReady?: (tag: TagInUse) => void;
}

/** How many pods stream in between two calls of `onListed`. */
const listedStep = 1000;

/** Lists what the plan needs from the cluster. */
export async function gather(kubectl: Kubectl, scope: PodScope, options: GatherOptions): Promise<Inventory> {
  const { only, onTagReady } = options;
  const select = only ? imageSelection(only) : null;
  // Each list's warnings on their own, joined in one order at the end: the lists finish in any.
  const podWarnings: string[] = [];
  const ownerWarnings = new Map<string, string[]>();
  const accountWarnings: string[] = [];
  // Started at the first pod that shows they are needed, so they run while the rest of the pods stream in
  // (with one page of pods, they would otherwise start only after it).
  const ownerLists = new Map<string, StartOnce<OwnerObject[]>>();
  // An owner list that fails fails the run (ReplicaSets decide how their pods restart): the run ends
  // then, rather than after the rest of the pods and, with --resolver docker, pulls of their images.
  let ownerListFailed: (error: unknown) => void = () => {};
  const ownerListFailure = new Promise<never>((_, reject) => {
    ownerListFailed = reject;
  });
  ownerListFailure.catch(() => {});
  const ownerList = (resource: string) => {
    let list = ownerLists.get(resource);
    if (!list) {
      const said: string[] = [];
      ownerWarnings.set(resource, said);
      const warn = (line: string) => said.push(line);
      list = new StartOnce(() =>
        resource === "jobs.batch"
          ? jobsOrNone(kubectl, scope, warn)
          : kubectl.listObjects([resource], scope, warn),
      );
      ownerLists.set(resource, list);
      list.start().catch(ownerListFailed);
    }
    return list.start();
  };
  const accounts = new StartOnce(() => listServiceAccounts(kubectl, scope, accountWarnings));
  const announced = new Set<string>();
  // A pod's tags follow from its container lists alone, which a controller's pods share: asked once.
  const examined = new IdentityMemo<Pod>();
  const announceTags = (pod: Pod) => {
    if (!onTagReady || (pod.spec.imagePullSecrets ?? []).length > 0) return;
    if (examined.get(containerLists(pod), () => pod) !== pod) return;
    const tags = tagsWorthResolving(pod).filter((tag) => !announced.has(tag.key));
    if (tags.length === 0) return;
    for (const tag of tags) announced.add(tag.key);
    const account = `${pod.metadata.namespace ?? "default"}/${serviceAccountOf(pod)}`;
    accounts
      .start()
      .then((found) => {
        if ((found?.get(account)?.imagePullSecrets ?? []).length > 0) return;
        for (const tag of tags) onTagReady(tag);
      })
      // The ServiceAccount list is awaited below, which reports its failure.
      .catch(() => {});
  };
  let count = 0;
  const listing = kubectl.listPods(scope, {
    warn: (line) => podWarnings.push(line),
    onPod: (pod) => {
      if (++count % listedStep === 0) options.onListed?.(count);
      // The pod as listed first: nearly every pod starts nothing, and --image's selection parses its images.
      // (A selected pod has the same owner and a subset of the containers.)
      const resource = ownerResourceOf(pod);
      const startsOwners = resource !== null && !ownerLists.has(resource);
      const startsAccounts = !accounts.started && needsAccountSecrets(pod);
      if (!startsOwners && !startsAccounts && !onTagReady) return;
      const selected = select ? select(pod) : pod;
      if (!selected) return;
      if (startsOwners) ownerList(resource);
      if (startsAccounts && needsAccountSecrets(selected)) accounts.start();
      if (onTagReady) announceTags(selected);
    },
    onRestart: () => {
      // Read again from the first page: the count starts over with it.
      count = 0;
    },
  });
  listing.catch(() => {});
  const listed = await Promise.race([listing, ownerListFailure]);
  const pods = select ? onlyImages(listed, select) : listed;

  const images = imagesToResolve(imagesInUse(pods));
  // Whenever a pod may be stale: its new pod needs its ServiceAccount to exist (admission refuses it else).
  const [ownerObjects, listedAccounts] = await Promise.all([
    Promise.all(ownerResourcesToList(pods).map(ownerList)),
    images.length > 0 ? accounts.start() : null,
  ]);
  const found = listedAccounts ?? new Map<string, ServiceAccount>();
  const accountSecrets = serviceAccountSecrets(found, images);
  const owners = indexOwners(ownerObjects.flat());
  const wanted = [...images.flatMap((i) => i.pullSecrets), ...[...accountSecrets.values()].flat()];
  // A list started while the pods streamed in and not needed in the end still says what went wrong.
  if (accounts.started) await accounts.start().catch(() => null);
  const warnings = [
    ...podWarnings,
    ...[...ownerWarnings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([, said]) => said),
    ...accountWarnings,
  ];
  const secrets = await readPullSecrets(kubectl, wanted, options.concurrency, warnings);
  return {
    pods,
    owners,
    images,
    pullSecrets: secrets.parsed,
    unreadablePullSecrets: secrets.unreadable,
    accountSecrets,
    ...(listedAccounts ? { serviceAccounts: new Set(listedAccounts.keys()) } : {}),
    accountPullSecrets: new Map(
      [...found].flatMap(([id, account]) =>
        account.imagePullSecrets?.length ? [[id, account.imagePullSecrets.map(({ name }) => name)]] : [],
      ),
    ),
    warnings,
  };
}

/**
 * The Jobs, which only name a Job pod's CronJob: their pods are never restarted, so a refused list (a role
 * that may list pods but not Jobs) is a warning, and those pods' owner is their Job. A refused ReplicaSet
 * list stays an error: it decides whether a pod is rolled with its Deployment.
 */
async function jobsOrNone(
  kubectl: Pick<Kubectl, "listObjects">,
  scope: PodScope,
  warn: (line: string) => void,
): Promise<OwnerObject[]> {
  try {
    return await kubectl.listObjects(["jobs.batch"], scope, warn);
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    warn(`could not list Jobs (their pods' owner is shown as the Job, not its CronJob): ${error.message}`);
    return [];
  }
}

/**
 * The workloads the restart decision reads: one list per kind, only of the kinds some pod to restart
 * belongs to, in the pods' namespace (or all). A list refused (RBAC) is a warning: auto then evicts
 * those pods, and rollout leaves them.
 */
export async function gatherWorkloads(
  kubectl: Pick<Kubectl, "listWorkloads">,
  scope: PodScope,
  toRead: ReadonlyMap<WorkloadKind, ReadonlySet<string>>,
  strategy: StrategyName,
  warnings: string[],
): Promise<{ workloads: Map<string, Workload>; unreadable: Map<WorkloadKind, string> }> {
  const unread = (kind: WorkloadKind) =>
    mayRoll(strategy)
      ? "their pods are evicted under auto, left under rollout"
      : kind === "DaemonSet"
        ? "whether one is being deleted, or runs pods on nodes it no longer schedules to, is seen at each pod's turn"
        : "whether one is being deleted is seen at each pod's turn";
  const workloads = new Map<string, Workload>();
  const unreadable = new Map<WorkloadKind, string>();
  const where = { namespace: scope.namespace, allNamespaces: scope.allNamespaces };
  // Each kind's warnings, in the kinds' order: the lists finish in any.
  const byKind = await Promise.all(
    [...toRead].map(async ([kind, names]) => {
      const said: string[] = [];
      try {
        for (const w of await kubectl.listWorkloads(kind, where, names, (line) => said.push(line))) {
          workloads.set(workloadKey(w.metadata.namespace ?? "", kind, w.metadata.name), w);
        }
      } catch (error) {
        if (!isCallFailure(error)) throw error;
        unreadable.set(kind, error.message);
        said.push(`${error.message} (${kind}s not read: ${unread(kind)})`);
      }
      return said;
    }),
  );
  warnings.push(...byKind.flat());
  return { workloads, unreadable };
}

/**
 * Under auto, the PodDisruptionBudgets of the scope, by namespace: a workload whose rollout takes more pods
 * out of service at once than a budget of its pods could ever allow is evicted instead. One list; a refusal
 * leaves the choice to the workloads alone, with a warning (apply still waits for the budgets before a
 * rollout).
 */
export async function gatherBudgets(
  kubectl: Pick<Kubectl, "listDisruptionBudgetsIn">,
  scope: PodScope,
  strategy: StrategyName,
  warnings: string[],
): Promise<BudgetsRead> {
  if (strategy !== "auto") return {};
  try {
    const budgets = await kubectl.listDisruptionBudgetsIn(scope);
    return { budgets: groupBy(budgets, (budget) => budget.namespace ?? "") };
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    warnings.push(
      `${error.message} (PodDisruptionBudgets not read: a workload whose rollout takes pods out of service is evicted one at a time instead, as apply could not check them before the rollout)`,
    );
    return { budgetsUnread: true };
  }
}

/** The budgets by namespace, or that they could not be read. */
export interface BudgetsRead {
  budgets?: Map<string, DisruptionBudget[]>;
  budgetsUnread?: boolean;
}

/** Whether a selector narrows the pods to some of their workloads' (a blank one selects all, as kubectl's). */
export function isNarrowed(scope: PodScope): boolean {
  return Boolean(scope.selector?.trim() || scope.fieldSelector?.trim());
}

/**
 * Under a scope narrowed by -l or --field-selector, the pods opted out in its namespaces, in the selection
 * or not, by what restarts them: a rollout of their workload would replace those outside it too, so the
 * choice of one must see them. One list, by the opt-out label; a refusal leaves the choice to the pods in
 * scope, with a warning (apply's check right before a patch still reads every pod of the workload).
 */
export async function listOptedOutElsewhere(
  kubectl: Pick<Kubectl, "listPods">,
  scope: PodScope,
  strategy: StrategyName,
  owners: OwnerIndex,
  warnings: string[],
): Promise<Map<string, string[]> | undefined> {
  if (!mayRoll(strategy) || !isNarrowed(scope)) return undefined;
  const optedOut = {
    namespace: scope.namespace,
    allNamespaces: scope.allNamespaces,
    selector: `${ignoreLabel}=true`,
  };
  try {
    return optedOutByTarget(
      await kubectl.listPods(optedOut, { warn: (line) => warnings.push(line) }),
      owners,
    );
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    warnings.push(
      `${error.message} (pods opted out outside the selection not read: a rollout may be refused at apply)`,
    );
    return undefined;
  }
}

/** The ServiceAccounts in scope by `namespace/name`; null when they could not be listed (with a warning). */
async function listServiceAccounts(
  kubectl: Kubectl,
  scope: PodScope,
  warnings: string[],
): Promise<Map<string, ServiceAccount> | null> {
  const accounts = new Map<string, ServiceAccount>();
  try {
    for (const sa of await kubectl.listServiceAccounts(scope, (line) => warnings.push(line))) {
      accounts.set(`${sa.metadata.namespace}/${sa.metadata.name}`, sa);
    }
  } catch (error) {
    // Without them the pods' own pull secrets and the user's docker config still apply.
    if (!isCallFailure(error)) throw error;
    warnings.push(`${error.message} (ServiceAccounts' pull secrets not used, nor checked to exist)`);
    return null;
  }
  return accounts;
}

/** The pull secrets named by the ServiceAccounts of pods that name none themselves, per image. */
function serviceAccountSecrets(
  accounts: ReadonlyMap<string, ServiceAccount>,
  images: readonly ImageInUse[],
): Map<string, SecretRef[]> {
  const result = new Map<string, SecretRef[]>();
  for (const image of images) {
    const refs = image.serviceAccounts.flatMap((sa) =>
      (accounts.get(`${sa.namespace}/${sa.name}`)?.imagePullSecrets ?? []).map(({ name }) => ({
        namespace: sa.namespace,
        name,
      })),
    );
    if (refs.length > 0) result.set(image.key, refs);
  }
  return result;
}

async function readPullSecrets(
  kubectl: Kubectl,
  refs: readonly SecretRef[],
  concurrency: number,
  warnings: string[],
) {
  const secrets = await getByNamespace(
    refs,
    concurrency,
    (namespace, names) => kubectl.getSecrets(namespace, names),
    warnings,
  );
  const parsed = new Map<string, KeyedCredential[]>();
  const unreadable = new Map<string, string>();
  for (const [id, secret] of secrets) {
    const read = pullSecretAuths(secret);
    if (read === null) continue;
    if ("auths" in read) parsed.set(id, keyedCredentials(read.auths, `secret ${id}`));
    else {
      unreadable.set(id, read.unreadable);
      warnings.push(
        `secret ${id} cannot be read by the kubelet (${read.unreadable}): no new pod naming it could pull its images, so none of those pods is restarted`,
      );
    }
  }
  return { parsed, unreadable };
}

/**
 * One `kubectl get KIND a b c -n NS` per namespace, for the distinct names referenced there. A refusal
 * (RBAC) becomes a warning: the images concerned are then pulled without those credentials.
 */
async function getByNamespace<T extends { metadata: { name: string } }>(
  refs: readonly SecretRef[],
  concurrency: number,
  get: (namespace: string, names: string[]) => Promise<T[]>,
  warnings: string[],
): Promise<Map<string, T>> {
  const byNamespace = new Map<string, Set<string>>();
  for (const { namespace, name } of refs) {
    // A reference with no name (`imagePullSecrets: [{}]`, which the API server only warns about) names
    // nothing the kubelet would read; asked for, it would be `kubectl get secrets undefined`.
    if (typeof name !== "string" || name === "") continue;
    // The API server does not check a reference's name: one no Secret can have is someone's trick.
    if (!isObjectName(name)) {
      const warning = `namespace ${namespace} names a pull secret ${JSON.stringify(name)}, which no Secret can be called: ignored`;
      if (!warnings.includes(warning)) warnings.push(warning);
      continue;
    }
    if (!byNamespace.has(namespace)) byNamespace.set(namespace, new Set());
    byNamespace.get(namespace)!.add(name);
  }
  const found = new Map<string, T>();
  const getInto = async (namespace: string, names: string[]) => {
    for (const object of await get(namespace, names))
      found.set(`${namespace}/${object.metadata.name}`, object);
  };
  // Each namespace's warnings, in the namespaces' order: the reads finish in any.
  const byNamespaceSaid = await mapLimit([...byNamespace], concurrency, async ([namespace, names]) => {
    const said: string[] = [];
    try {
      await getInto(namespace, [...names]);
    } catch (error) {
      if (!isCallFailure(error)) throw error;
      if (names.size === 1) return [`${error.message} (namespace ${namespace})`];
      // A role may let one be read and not another (resourceNames): each is asked alone, so a refusal of one
      // does not lose the others.
      for (const name of names) {
        try {
          await getInto(namespace, [name]);
        } catch (one) {
          if (!isCallFailure(one)) throw one;
          said.push(`${one.message} (namespace ${namespace})`);
        }
      }
    }
    return said;
  });
  warnings.push(...byNamespaceSaid.flat());
  return found;
}
