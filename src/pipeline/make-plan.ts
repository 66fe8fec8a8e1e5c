/** gather → resolve → decide: the plan both `plan` and `apply` print. Read-only. */
import type { Kubectl, PodScope } from "../adapters/kubectl.js";
import { isCallFailure } from "../adapters/kubectl-errors.js";
import type { Resolver } from "../adapters/resolver.js";
import { readRecord } from "../adapters/restart-record.js";
import { decidePlan } from "../core/decide.js";
import { repositoryOf } from "../core/image-ref.js";
import type { ImageInUse, TagInUse } from "../core/images-in-use.js";
import { type Credential, Keyring } from "../core/keyring.js";
import { nodePlatformKey } from "../core/manifest.js";
import type { Plan, StrategyName } from "../core/plan.js";
import type { TagResolution } from "../core/resolution.js";
import { type RecordRef, rememberedIn } from "../core/restart-record.js";
import { decideRestarts, workloadsToRead } from "../core/restart-strategy.js";
import {
  creationTimeQueries,
  holdRestartedInVain,
  type PodQuery,
  type RememberedRestart,
} from "../core/restarted-for.js";
import { nodesToInspect } from "../core/to-inspect.js";
import { InterruptedError } from "../errors.js";
import { Limiter } from "../util/limiter.js";
import {
  gather,
  gatherBudgets,
  gatherWorkloads,
  type Inventory,
  isNarrowed,
  listOptedOutElsewhere,
} from "./gather.js";
import { resolveImages } from "./resolve.js";

export interface MakePlanOptions {
  scope: PodScope;
  /** How apply would restart each controller's stale pods. */
  strategy: StrategyName;
  concurrency: number;
  /**
   * More credentials for a repository after the pull secrets (e.g. the user's docker config); none
   * by default.
   */
  extraCredentials?: (repository: string) => Promise<Credential[]>;
  /** Problems met finding those credentials, asked for once resolving is done. */
  extraWarnings?: () => string[];
  /** --image: only containers running these normalized references. */
  images?: ReadonlySet<string>;
  /**
   * The ConfigMap that remembers restarts in vain beyond the Events ($KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP).
   */
  record?: RecordRef;
  /** --min-age, and the clock's time to measure it. */
  minAgeMs?: number;
  now: number;
  onPhase?: (text: string) => void;
  signal?: AbortSignal;
}

export interface PlanResult {
  plan: Plan;
  /** Things worth telling on stderr: unreadable secrets, resolver notes. */
  warnings: string[];
  notes: string[];
}

/**
 * Makes the plan. An interrupted run's plan would be full of images cancelled mid-pull (unknown): it is
 * thrown away, and the run fails (a CI gate must not pass).
 */
export async function makePlan(
  kubectl: Kubectl,
  loadResolver: () => Promise<Resolver>,
  options: MakePlanOptions,
): Promise<PlanResult> {
  options.onPhase?.("Listing pods");
  // The resolver's modules load while kubectl starts and serves the list.
  const resolverLoaded = loadResolver();
  const limiter = new Limiter(options.concurrency);
  const early = new EarlyTags(resolverLoaded, limiter, options);
  const [inventory, resolver] = await Promise.all([
    gather(kubectl, options.scope, {
      concurrency: options.concurrency,
      only: options.images,
      onListed: (pods) => options.onPhase?.(`Listing pods (${pods} so far)`),
      onTagReady: (tag) => early.ask(tag),
    }).finally(() => early.close()),
    resolverLoaded,
  ]);
  const resolutions = await resolveImages(inventory.images, resolver, {
    limiter,
    signal: options.signal,
    describeEveryMoved: options.minAgeMs !== undefined,
    credentialsFor: async (image, repository) => [
      ...pullSecretCredentials(inventory, image, repository),
      ...((await options.extraCredentials?.(repository)) ?? []),
    ],
    // Asked with no pull secret: that answer stands unless the pods name secrets after all, which then
    // decide, tried first as the kubelet tries them (found or refused without them says nothing of them) —
    // but for a pull that ran out of --pull-timeout, which would only run out again.
    earlyAnswer: async (image) => {
      const answer = await early.answer(image.key);
      if (answer === undefined || (!answer.ok && answer.unanswered)) return answer;
      return pullSecretCredentials(inventory, image, repositoryOf(image.ref)).length === 0
        ? answer
        : undefined;
    },
    onProgress: (done, total) =>
      options.onPhase?.(`${resolver.name === "docker" ? "Pulled" : "Resolved"} images ${done}/${total}`),
  });
  resolver.close?.();
  const input = { resolver: resolver.name, pods: inventory.pods, owners: inventory.owners, resolutions };
  const warnings = [...inventory.warnings];
  const nodePlatforms = await readNodePlatforms(kubectl, nodesToInspect(input), warnings);
  const decided = decidePlan({
    ...input,
    nodePlatforms,
    unreadablePullSecrets: inventory.unreadablePullSecrets,
    accountPullSecrets: inventory.accountPullSecrets,
    ...(inventory.serviceAccounts ? { serviceAccounts: inventory.serviceAccounts } : {}),
    minAgeMs: options.minAgeMs,
    now: options.now,
  });
  const toRead = workloadsToRead(decided, options.strategy);
  if (toRead.size > 0) options.onPhase?.("Reading controllers");
  // Each list's warnings on their own, then in one order: the lists run at once, and finish in any.
  const holdWarnings: string[] = [];
  const workloadWarnings: string[] = [];
  const optedOutWarnings: string[] = [];
  const budgetWarnings: string[] = [];
  const [held, workloads, optedOutElsewhere, budgets] = await Promise.all([
    // Before the strategy is chosen: a workload with pods held so is not rolled out, which would replace
    // them in vain.
    holdRestartedInVainPods(kubectl, decided, options, holdWarnings),
    gatherWorkloads(kubectl, options.scope, toRead, options.strategy, workloadWarnings),
    // Read only when something may be rolled out.
    toRead.size > 0 &&
      listOptedOutElsewhere(kubectl, options.scope, options.strategy, inventory.owners, optedOutWarnings),
    // Whenever a pod is to be restarted: one that two budgets select cannot be evicted, whatever owns it.
    decided.pods.some((pod) => pod.action === "delete") &&
      gatherBudgets(kubectl, options.scope, options.strategy, budgetWarnings),
  ]);
  warnings.push(...workloadWarnings, ...optedOutWarnings, ...budgetWarnings, ...holdWarnings);
  const plan = decideRestarts(held, {
    strategy: options.strategy,
    owners: inventory.owners,
    ...workloads,
    ...(optedOutElsewhere ? { optedOutElsewhere } : {}),
    ...(budgets || {}),
    narrowed: isNarrowed(options.scope),
    podsLeftOut: options.images !== undefined,
  });
  warnings.push(...(resolver.warnings?.() ?? []), ...(options.extraWarnings?.() ?? []));
  if (options.signal?.aborted) {
    throw new InterruptedError("interrupted before the plan was complete: nothing printed");
  }
  return { plan, warnings, notes: resolver.notes?.() ?? [] };
}

/**
 * Tags asked for while the pods are still being listed, with the credentials they would get anyway (the
 * user's own, no pull secret), each once and `--concurrency` at a time with the rest of resolving. A
 * large list takes seconds; the registry's answers then arrive during it instead of after it.
 */
class EarlyTags {
  private readonly answers = new Map<string, Promise<TagResolution>>();
  private closed = false;

  constructor(
    private readonly resolver: Promise<Resolver>,
    private readonly limiter: Limiter,
    private readonly options: Pick<MakePlanOptions, "extraCredentials" | "signal">,
  ) {}

  ask(tag: TagInUse): void {
    if (this.closed || this.options.signal?.aborted || this.answers.has(tag.key)) return;
    const answer = this.limiter.run(async (): Promise<TagResolution> => {
      // After Ctrl-C no tag waiting its turn is started, as no image is (resolve.ts).
      if (this.options.signal?.aborted) return { ok: false, reason: "interrupted" };
      const resolver = await this.resolver;
      const credentials = (await this.options.extraCredentials?.(repositoryOf(tag.ref))) ?? [];
      return resolver.resolveTag(tag.ref, credentials, this.options.signal);
    });
    // Awaited by resolving, or never when the list failed: not an unhandled rejection.
    answer.catch(() => {});
    this.answers.set(tag.key, answer);
  }

  /** No more asking: the list is complete, resolving takes over. */
  close(): void {
    this.closed = true;
  }

  answer(key: string): Promise<TagResolution> | undefined {
    return this.answers.get(key);
  }
}

/**
 * The platforms of the nodes whose platform decides a verdict (a multi-arch tag moved for some platforms
 * only; a running manifest the registry deleted): one `kubectl get nodes`, only when there are such nodes.
 * Reading Nodes needs cluster-wide access; without it those verdicts are left as the warning says.
 */
async function readNodePlatforms(
  kubectl: Kubectl,
  names: readonly string[],
  warnings: string[],
): Promise<Map<string, string | null>> {
  const platforms = new Map<string, string | null>();
  if (names.length === 0) return platforms;
  try {
    for (const node of await kubectl.getNodes(names))
      platforms.set(node.metadata.name, nodePlatformKey(node));
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    warnings.push(
      `${error.message}: without the nodes' platforms, pods of a multi-arch tag that moved for some platforms only stay unknown, and those whose running manifest the registry deleted are judged by its digest alone`,
    );
  }
  return platforms;
}

/** The pods' pull secrets (then their ServiceAccounts'), matched to a repository as the kubelet does. */
function pullSecretCredentials(inventory: Inventory, image: ImageInUse, repository: string): Credential[] {
  const refs = [...image.pullSecrets, ...(inventory.accountSecrets.get(image.key) ?? [])];
  const entries = refs.flatMap((ref) => inventory.pullSecrets.get(`${ref.namespace}/${ref.name}`) ?? []);
  return new Keyring(entries).lookup(repository);
}

/**
 * Pods to be restarted whose controller restarted one in vain are held (core/restarted-for.ts): this
 * tool's Events, and the record ConfigMap when there is one, are read only when some pod is to be restarted
 * and the strategy may evict or delete (`--strategy rollout` never does, so it keeps no such record); the
 * pods' creation times only for those an unchecked restart may hold.
 */
async function holdRestartedInVainPods(
  kubectl: Kubectl,
  plan: Plan,
  options: Pick<MakePlanOptions, "scope" | "now" | "record" | "concurrency" | "strategy">,
  warnings: string[],
): Promise<Plan> {
  if (options.strategy === "rollout" || !plan.pods.some((p) => p.action === "delete")) return plan;
  const { record } = options;
  // Each read's warnings on their own, then Events' first: the reads finish in any order.
  const eventWarnings: string[] = [];
  const recordWarnings: string[] = [];
  const remembered = await Promise.all([
    readRemembered(
      () => kubectl.listRememberedRestarts(options.scope, (line) => eventWarnings.push(line)),
      "this tool's Events could not be read",
      eventWarnings,
    ),
    record
      ? readRemembered(
          async () => rememberedIn(await readRecord(kubectl, record), options.now),
          `configmap ${record.namespace}/${record.name} could not be read`,
          recordWarnings,
        )
      : [],
  ]);
  warnings.push(...eventWarnings, ...recordWarnings);
  const all = remembered.flat();
  const queries = creationTimeQueries(plan, all);
  const createdAt = await readCreationTimes(kubectl, queries, options.concurrency, warnings);
  return holdRestartedInVain(plan, all, options.now, createdAt);
}

/**
 * When the pods the queries find were made, ms by UID; when a list cannot be read, none of its pods and a
 * warning: each is then restarted as planned.
 */
async function readCreationTimes(
  kubectl: Kubectl,
  queries: readonly PodQuery[],
  concurrency: number,
  warnings: string[],
): Promise<Map<string, number>> {
  const limiter = new Limiter(concurrency);
  // Each query's warnings, in the queries' order: the lists finish in any.
  const lists = await Promise.all(
    queries.map((query) =>
      limiter.run(async () => {
        const said: string[] = [];
        try {
          const times = await kubectl.listPodCreationTimes(query.namespace, query.selector, (line) =>
            said.push(line),
          );
          return { times, said };
        } catch (error) {
          if (!isCallFailure(error)) throw error;
          const what = `the pods of namespace ${query.namespace} could not be listed for their creation times`;
          said.push(
            `${what}, so a replacement back on the old digest after an unchecked restart may be restarted again: ${error.message}`,
          );
          return { times: new Map<string, number>(), said };
        }
      }),
    ),
  );
  warnings.push(...lists.flatMap(({ said }) => said));
  return new Map(lists.flatMap(({ times }) => [...times]));
}

/**
 * One source of remembered restarts; when it cannot be read, none from it and a warning saying what
 * that means.
 */
async function readRemembered(
  read: () => Promise<RememberedRestart[]>,
  what: string,
  warnings: string[],
): Promise<RememberedRestart[]> {
  try {
    return await read();
  } catch (error) {
    if (!isCallFailure(error)) throw error;
    warnings.push(`${what}, so a pod restarted in vain before may be restarted again: ${error.message}`);
    return [];
  }
}
