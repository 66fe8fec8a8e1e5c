/** kubectl, run as a child with the user's connection flags; returns typed objects. */

import { homedir } from "node:os";
import { allowedByStatus, type DisruptionBudget } from "../core/disruption-budget.js";
import {
  eventReporter,
  fieldManager,
  type KubeEvent,
  type KubeList,
  type KubeObject,
  type Node,
  type OwnerObject,
  type Pod,
  type Secret,
  type ServiceAccount,
} from "../core/k8s.js";
import { checkNamespace, isDnsLabel, isObjectName } from "../core/object-name.js";
import type { LabelSelector, PodWithConditions } from "../core/readiness.js";
import { rememberedRestart } from "../core/restart-event.js";
import {
  type RememberedRestart,
  recordedRestartedAtAnnotation,
  restartedAtAnnotation,
  restartedForAnnotation,
} from "../core/restarted-for.js";
import { type Workload, type WorkloadKind, workloadResources } from "../core/workload.js";
import { ToolFailedError, UsageError } from "../errors.js";
import { mapLimit } from "../util/map-limit.js";
import { SharedValues } from "../util/shared-values.js";
import { contextNamespace, parseConfigView } from "./config-view.js";
import { defaultNamespace, isNoContext, probeInCluster } from "./default-namespace.js";
import type { Exec, ExecOptions } from "./exec.js";
import { type ExecResult, howItEnded } from "./exec-result.js";
import {
  type ItemReader,
  JsonListStream,
  leadingObjectName,
  parsedBy,
  type Shape,
} from "./json-list-stream.js";
import { type ClusterProblem, kubectlFailure, readKubectlStderr, serverWarnings } from "./kubectl-errors.js";
import { kubercForCalls } from "./kuberc.js";
import { listedResources, type WatchQuery } from "./list-request.js";
import { startPageProxy } from "./page-proxy.js";
import { readPagedList } from "./paged-list.js";
import { protobufPodReader } from "./pod-protobuf.js";
import type { ProtobufItemReader } from "./protobuf-list-stream.js";
import {
  type CreatedPod,
  controllerPodShape,
  createdPodShape,
  ownedReplicaSetShape,
  ownerShape,
  podReader,
  podShape,
  slimOwner,
  slimWorkload,
  workloadShape,
} from "./slim-objects.js";
import { type WatchChange, type WatchEnd, watchObjects } from "./watch.js";

/** kubectl's own connection flags, passed through unchanged. */
export interface KubectlConnection {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  server?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  tlsServerName?: string;
  insecureSkipTlsVerify?: boolean;
  requestTimeout?: string;
  /** The same in ms, for what reaches the API server through kubectl proxy, which does not apply it. */
  requestTimeoutMs?: number;
  as?: string;
  asGroups?: string[];
  asUid?: string;
  asUserExtras?: string[];
  cacheDir?: string;
  disableCompression?: boolean;
  /** Where the user's kuberc is (kubectl's --kuberc), for its credential plugin policy: never passed on. */
  kuberc?: string;
}

/** Which pods: a namespace (or the context's), or all; with optional selectors. */
export interface PodScope {
  namespace?: string;
  allNamespaces: boolean;
  selector?: string;
  fieldSelector?: string;
}

/** Names in one `kubectl get`: what its client sends at once before its limit of five a second. */
const namesPerCall = 10;
/** Such calls at once. */
const namedCallsAtOnce = 4;

/** Where a list problem that did not stop it is reported (a restarted list). */
export type Warn = (line: string) => void;

/** kubectl with the user's kuberc's credential plugin policy, without its defaults and aliases. */
function withoutKuberc(exec: Exec, path: string | undefined): Exec {
  return async (file, args, options = {}) => {
    const kuberc = await kubercForCalls(process.env, homedir(), path);
    return exec(file, args, { ...options, env: { ...options.env, KUBERC: kuberc } });
  };
}

export class Kubectl {
  /** The namespace a list without -n reads, once found. */
  private implicitNamespace: Promise<string> | undefined;
  private readonly exec: Exec;

  constructor(
    exec: Exec,
    readonly binary: string,
    private readonly connection: KubectlConnection,
    /** Stops the paged lists (read only): a run interrupted mid-list need not read the rest. */
    private readonly listSignal?: AbortSignal,
    /**
     * Told what the API server warned of in a call that succeeded (PodSecurity, a deprecated API), as kubectl
     * prints it.
     */
    private readonly onServerWarning?: (text: string) => void,
  ) {
    this.exec = withoutKuberc(exec, connection.kuberc);
  }

  /** The flags that select the cluster and identity, for every call and for child jobs. */
  connectionArgs(): string[] {
    const c = this.connection;
    const args: string[] = [];
    if (c.kubeconfig) args.push(`--kubeconfig=${c.kubeconfig}`);
    if (c.context) args.push(`--context=${c.context}`);
    if (c.cluster) args.push(`--cluster=${c.cluster}`);
    if (c.user) args.push(`--user=${c.user}`);
    if (c.server) args.push(`--server=${c.server}`);
    if (c.certificateAuthority) args.push(`--certificate-authority=${c.certificateAuthority}`);
    if (c.clientCertificate) args.push(`--client-certificate=${c.clientCertificate}`);
    if (c.clientKey) args.push(`--client-key=${c.clientKey}`);
    if (c.tlsServerName) args.push(`--tls-server-name=${c.tlsServerName}`);
    if (c.insecureSkipTlsVerify) args.push("--insecure-skip-tls-verify=true");
    if (c.requestTimeout) args.push(`--request-timeout=${c.requestTimeout}`);
    if (c.as) args.push(`--as=${c.as}`);
    for (const group of c.asGroups ?? []) args.push(`--as-group=${group}`);
    if (c.asUid) args.push(`--as-uid=${c.asUid}`);
    for (const extra of c.asUserExtras ?? []) args.push(`--as-user-extra=${extra}`);
    if (c.cacheDir) args.push(`--cache-dir=${c.cacheDir}`);
    if (c.disableCompression) args.push("--disable-compression=true");
    return args;
  }

  /** Runs kubectl; a non-zero exit becomes an error carrying kubectl's first stderr line. */
  async run(
    args: readonly string[],
    options: { input?: string; signal?: AbortSignal } = {},
  ): Promise<string> {
    const result = await this.exec(this.binary, [...this.connectionArgs(), ...args], options);
    const { stdout, stderr } = checked(result, `kubectl ${args[0] ?? ""}`);
    if (this.onServerWarning) for (const text of serverWarnings(stderr)) this.onServerWarning(text);
    return stdout;
  }

  /** Like run, but returns the result whatever the exit code, for callers that report per item. */
  runUnchecked(
    args: readonly string[],
    options: Pick<ExecOptions, "input" | "signal" | "timeoutMs"> = {},
  ): Promise<ExecResult> {
    return this.exec(this.binary, [...this.connectionArgs(), ...args], options);
  }

  /**
   * runUnchecked for a change, or its record, that must outlive a first Ctrl-C: the terminal kills the
   * kubectl children with it, and one killed mid-request is asked once more (`repeated`). Each such call
   * may be repeated: an eviction or deletion holds a UID precondition, a merge patch writes the same, a
   * create of what exists fails, and an Event is a note (one sent twice is two).
   */
  async runChange(
    args: readonly string[],
    options: Pick<ExecOptions, "input" | "timeoutMs"> = {},
  ): Promise<ExecResult & { repeated?: true }> {
    const result = await this.runUnchecked(args, options);
    if (!result.killedFromOutside) return result;
    return { ...(await this.runUnchecked(args, options)), repeated: true };
  }

  /**
   * A `kubectl get -o json` list whose items are read as they stream in and reduced by `slim` one at a
   * time (kubectl itself still holds the whole list: only for small lists).
   */
  private async list<T>(args: readonly string[], what: string, slim: (item: never) => T): Promise<T[]> {
    const items: T[] = [];
    let broken: unknown;
    const read = parsedBy(slim);
    const stream = new JsonListStream((text, apart) => items.push(read(text, apart)));
    const result = await this.exec(this.binary, [...this.connectionArgs(), ...args], {
      onStdout: (chunk) => {
        if (broken !== undefined) return;
        try {
          stream.write(chunk, "handed-over");
        } catch (error) {
          broken = error;
        }
      },
    });
    checked(result, `kubectl ${args[0] ?? ""}`);
    if (broken instanceof ToolFailedError) throw broken;
    try {
      if (broken !== undefined) throw broken;
      stream.end();
    } catch {
      throw new ToolFailedError(`kubectl ${what} printed malformed JSON`);
    }
    return items;
  }

  /**
   * A list of one resource in scope, read page by page (see paged-list.ts). The plan's lists stop with the
   * run. `toTheEnd` lists are those read while restarting, around each restart: a stopping run finishes
   * the one it is reading, then checks that it is stopping.
   */
  private async pagedList<T>(
    resource: string,
    scope: PodScope,
    shape: Shape | undefined,
    read: ItemReader<T>,
    {
      warn,
      onRestart,
      onVersion,
      toTheEnd = false,
      readProtobuf,
    }: {
      warn?: Warn;
      onRestart?: () => void;
      onVersion?: (resourceVersion: string) => void;
      toTheEnd?: boolean;
      readProtobuf?: ProtobufItemReader<T>;
    } = {},
  ): Promise<T[]> {
    const listed = listedResources[resource];
    if (!listed) throw new Error(`no API path known for ${resource}`);
    const namespace = await this.namespaceOf(scope);
    const signal = toTheEnd ? undefined : this.listSignal;
    return readPagedList({
      exec: this.exec,
      kubectl: this.binary,
      connectionArgs: this.connectionArgs(),
      resource: listed,
      name: `get ${resource}`,
      query: { namespace, labelSelector: scope.selector, fieldSelector: scope.fieldSelector },
      shape,
      read,
      ...(readProtobuf ? { readProtobuf } : {}),
      warn,
      ...(onRestart ? { onRestart } : {}),
      ...(onVersion ? { onVersion } : {}),
      ...(signal ? { signal } : {}),
      startProxy: (stopped) =>
        startPageProxy({
          plural: listed.plural,
          exec: this.exec,
          kubectl: this.binary,
          connectionArgs: this.connectionArgs(),
          timeoutMs: this.connection.requestTimeoutMs,
          ...(stopped ? { signal: stopped } : {}),
        }),
    });
  }

  /** The namespace a scope reads: its -n, else the one kubectl would use; undefined for every namespace. */
  async namespaceOf(scope: Pick<PodScope, "namespace" | "allNamespaces">): Promise<string | undefined> {
    if (scope.allNamespaces) return undefined;
    return scope.namespace ?? (await this.namespaceKubectlWouldUse());
  }

  /**
   * The namespace kubectl would use without -n, asked once: the context's, from `kubectl config view`
   * (the same kubeconfig, context and overrides as every call), or the in-cluster rules. Checked as -n is:
   * kubectl takes `..` into a context, and a list under `namespaces/../` would read every namespace.
   */
  namespaceKubectlWouldUse(): Promise<string> {
    this.implicitNamespace ??= (async () => {
      const result = await this.runUnchecked([
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.contexts[0].context.namespace}",
      ]);
      let namespace = result.exitCode === 0 ? result.stdout.trim() : "";
      if (/cannot locate (user|cluster)/.test(result.stderr)) {
        // --minify checks the context's user and cluster entries, which a --user or --cluster given here
        // may stand in for, as they do for kubectl get: the context's namespace is read from the whole view.
        const whole = await this.runUnchecked(["config", "view", "-o", "json"]);
        const view = whole.exitCode === 0 ? parseConfigView(whole.stdout) : undefined;
        if (!view) throw kubectlFailure(whole.exitCode === 0 ? result : whole, "kubectl config");
        namespace = contextNamespace(view, this.connection.context);
      } else if (result.exitCode !== 0 && !isNoContext(result.stderr)) checked(result, "kubectl config");
      const chosen = defaultNamespace(namespace, namespace === "" ? probeInCluster() : null);
      const valid = checkNamespace(chosen);
      if (!valid.ok) throw new UsageError(`${valid.message} (from the kubeconfig context; pass -n)`);
      return chosen;
    })();
    return this.implicitNamespace;
  }

  /**
   * All pods in scope, page by page, each reduced to what the plan reads; `onPod` sees each one as it
   * streams in (again, after `onRestart`, if the list has to restart).
   */
  listPods(scope: PodScope, listener: PodListListener = {}): Promise<Pod[]> {
    const { warn, onPod, onRestart } = listener;
    const shared = new SharedValues();
    const read = podReader(shared);
    const readProtobuf = protobufPodReader(shared);
    const seen = (pod: Pod) => {
      onPod?.(pod);
      return pod;
    };
    return this.pagedList("pods", scope, podShape, (text, apart) => seen(read(text, apart)), {
      warn,
      onRestart,
      readProtobuf: (bytes, start, end) => seen(readProtobuf(bytes, start, end)),
    });
  }

  /**
   * When each pod a label selector finds in one namespace was made, ms by UID: a list as the pods' own (the
   * same `list` right), cut to those two fields.
   */
  async listPodCreationTimes(namespace: string, selector: string, warn?: Warn): Promise<Map<string, number>> {
    const pods = await this.pagedList(
      "pods",
      { namespace, allNamespaces: false, selector },
      createdPodShape,
      parsedBy((pod: CreatedPod) => pod),
      { warn },
    );
    const times = new Map<string, number>();
    for (const { metadata } of pods) {
      const created = Date.parse(metadata?.creationTimestamp ?? "");
      if (metadata?.uid && !Number.isNaN(created)) times.set(metadata.uid, created);
    }
    return times;
  }

  /** Several kinds (e.g. replicasets.apps, jobs.batch) in the same scope, side by side; no selectors. */
  async listObjects(resources: readonly string[], scope: PodScope, warn?: Warn): Promise<OwnerObject[]> {
    const unselected = { namespace: scope.namespace, allNamespaces: scope.allNamespaces };
    const lists = await Promise.all(
      resources.map((resource) => {
        const kind = listedResources[resource]?.kind;
        return this.pagedList(
          resource,
          unselected,
          ownerShape,
          parsedBy((o: OwnerObject) => slimOwner(kind, o)),
          { warn },
        );
      }),
    );
    return lists.flat();
  }

  /** The ServiceAccounts in scope: only their pull secrets are kept. */
  listServiceAccounts(
    scope: Pick<PodScope, "namespace" | "allNamespaces">,
    warn?: Warn,
  ): Promise<ServiceAccount[]> {
    const unselected = { namespace: scope.namespace, allNamespaces: scope.allNamespaces };
    return this.pagedList(
      "serviceaccounts",
      unselected,
      undefined,
      parsedBy((sa: ServiceAccount) => ({
        metadata: { name: sa.metadata?.name, namespace: sa.metadata?.namespace },
        imagePullSecrets: sa.imagePullSecrets,
      })),
      { warn },
    );
  }

  /**
   * Named objects of one kind in one namespace; missing ones are left out rather than failing, and so are
   * names no object can have (see objectName).
   */
  async getNamed<T extends KubeObject>(
    resource: string,
    namespace: string,
    names: readonly string[],
  ): Promise<T[]> {
    const possible = names.filter(isObjectName);
    // kubectl sends one request per name, ten at once and then five a second (client-go's default limit):
    // ten names a call, a few calls at once, or a thousand nodes would take minutes.
    const read = async (part: readonly string[]) => {
      const out = await this.run([
        "get",
        resource,
        ...part,
        `--namespace=${namespace}`,
        "--ignore-not-found",
        "-o",
        "json",
      ]);
      return out.trim() === "" ? [] : parseList<T>(out, `get ${resource}`);
    };
    const parts: string[][] = [];
    for (let at = 0; at < possible.length; at += namesPerCall)
      parts.push(possible.slice(at, at + namesPerCall));
    return (await mapLimit(parts, namedCallsAtOnce, read)).flat();
  }

  /** One object as JSON, or null when it does not exist (or no object can have that name: see objectName). */
  async getObject<T extends KubeObject>(
    resource: string,
    name: string,
    namespace: string,
  ): Promise<T | null> {
    if (!isObjectName(name)) return null;
    const out = await this.run([
      "get",
      resource,
      name,
      `--namespace=${namespace}`,
      "--ignore-not-found",
      "-o",
      "json",
    ]);
    return out.trim() === "" ? null : (parseList<T>(out, `get ${resource}`)[0] ?? null);
  }

  /** ReplicaSets matching a label selector in one namespace: a Deployment's, to tell which pods it owns. */
  listReplicaSets(namespace: string, selector: string): Promise<KubeObject[]> {
    return this.checkedList("replicasets.apps", namespace, selector, ownedReplicaSetShape);
  }

  /**
   * A controller's pods, found by its label selector in one namespace, cut to what the checks around a
   * restart read (controllerPodShape). `onVersion` is told the list's resourceVersion, from which
   * watchPodsBySelector follows them.
   */
  listPodsBySelector(
    namespace: string,
    selector: string,
    onVersion?: (resourceVersion: string) => void,
  ): Promise<PodWithConditions[]> {
    return this.checkedList("pods", namespace, selector, controllerPodShape, onVersion);
  }

  /**
   * One pod as it is now, cut as a controller's pods are, or null when there is none of that name: a list
   * by field selector, with the `list` right the plan uses (the CronJob's Role grants no `get` of pods).
   */
  async readPod(namespace: string, name: string): Promise<PodWithConditions | null> {
    const scope = { namespace, allNamespaces: false, fieldSelector: `metadata.name=${name}` };
    const pods = await this.pagedList(
      "pods",
      scope,
      controllerPodShape,
      parsedBy((pod: PodWithConditions) => pod),
      { toTheEnd: true },
    );
    return pods.find((pod) => pod.metadata.name === name) ?? null;
  }

  /**
   * Follows the pods listPodsBySelector read, from its resourceVersion: each change as it happens, until the
   * watch ends (the API server ends it after `timeoutSeconds`), fails or `signal` stops it.
   */
  watchPodsBySelector(
    query: WatchQuery,
    onChange: (change: WatchChange<PodWithConditions>) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd> {
    return watchObjects({
      exec: this.exec,
      kubectl: this.binary,
      connectionArgs: this.connectionArgs(),
      resource: listedResources.pods!,
      query,
      shape: controllerPodShape,
      onChange,
      signal,
    });
  }

  /** What a label selector finds in one namespace, for the checks of restarts made: read to the end. */
  private checkedList<T>(
    resource: string,
    namespace: string,
    selector: string,
    shape: Shape,
    onVersion?: (resourceVersion: string) => void,
  ): Promise<T[]> {
    const scope = { namespace, allNamespaces: false, selector };
    return this.pagedList(
      resource,
      scope,
      shape,
      parsedBy((item: T) => item),
      { toTheEnd: true, ...(onVersion ? { onVersion } : {}) },
    );
  }

  /**
   * Deletes one pod, only if it is still the one planned (UID precondition): a StatefulSet's successor with
   * the same name is never touched. A dry run goes to the server (RBAC and admission run, nothing changes).
   */
  async deletePod(namespace: string, name: string, uid: string, dryRun: boolean): Promise<DeleteOutcome> {
    objectName(namespace, name);
    const args = ["delete", "--raw", `/api/v1/namespaces/${namespace}/pods/${name}`, "-f", "-"];
    // A dry run is the same request, which the server answers as it would the real one (a successor under
    // the pod's name included), without deleting.
    const body = JSON.stringify({
      apiVersion: "v1",
      kind: "DeleteOptions",
      preconditions: { uid },
      ...(dryRun ? { dryRun: ["All"] } : {}),
    });
    const result = await this.runChange(args, { input: body });
    if (result.exitCode === 0) return { kind: "deleted" };
    const read = readKubectlStderr(result.stderr);
    const line = read.line || unanswered(result, "deletion");
    const gone = goneOrReplaced(line);
    // Sent again after a kill: the pod gone, or another under its name, is the first one's doing.
    if (gone) return result.repeated ? { kind: "deleted" } : { kind: gone };
    return this.failedOrWent("deleted", { line, problem: read.problem }, result, dryRun, {
      namespace,
      name,
      uid,
    });
  }

  /**
   * The workloads of a kind named (`namespace/name`) in the pods' namespace (or all): one list, page by page
   * like the pods, since a large cluster has thousands of Deployments, which `kubectl get -o json` would hold
   * whole. Only those named are parsed, known by the start of their text where the API server writes their
   * name and namespace; any other start is parsed to be known. Slimmed to what the restart decision reads.
   */
  async listWorkloads(
    kind: WorkloadKind,
    scope: Pick<PodScope, "namespace" | "allNamespaces">,
    names: ReadonlySet<string>,
    warn?: Warn,
  ): Promise<Workload[]> {
    const unselected = { namespace: scope.namespace, allNamespaces: scope.allNamespaces };
    const parsed = parsedBy((w: Workload) => slimWorkload(kind, w));
    const read: ItemReader<Workload | null> = (text, apart) => {
      const name = leadingObjectName(text);
      return name !== null && !names.has(name) ? null : parsed(text, apart);
    };
    const listed = await this.pagedList(workloadResources[kind], unselected, workloadShape, read, { warn });
    return listed.filter(
      (w): w is Workload => w !== null && names.has(`${w.metadata.namespace ?? ""}/${w.metadata.name}`),
    );
  }

  /**
   * One workload as it is now, or null when it is gone: read again before a rollout and while following it.
   */
  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload | null> {
    const object = await this.getObject<Workload>(workloadResources[kind], name, namespace);
    return object ? slimWorkload(kind, object) : null;
  }

  /**
   * Starts a rollout as `kubectl rollout restart` does: the template's restartedAt annotation, here as a
   * JSON merge patch carrying the resourceVersion read just before, so a workload changed meanwhile is a
   * Conflict rather than a blind overwrite. A merge patch, not server-side apply: it works for every kind
   * and does not make this tool the owner of the template's annotations (no conflict with a GitOps tool's
   * own apply). Beside it, what the rollout is for (core/restarted-for.ts).
   */
  async patchRestartedAt(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    resourceVersion: string,
    restart: { restartedAt: string; restartedFor: string | null },
    dryRun: boolean,
  ): Promise<PatchOutcome> {
    objectName(namespace, name);
    // A new restartedAt makes the controller roll. null removes an earlier rollout's restarted-for: it was
    // for another digest. The record names its restartedAt, so a later `kubectl rollout restart` voids it.
    const annotations = {
      [restartedAtAnnotation]: restart.restartedAt,
      [restartedForAnnotation]: restart.restartedFor,
      [recordedRestartedAtAnnotation]: restart.restartedFor === null ? null : restart.restartedAt,
    };
    const patch = {
      metadata: { resourceVersion },
      spec: { template: { metadata: { annotations } } },
    };
    const args = [
      "patch",
      workloadResources[kind],
      name,
      `--namespace=${namespace}`,
      "--type=merge",
      `--field-manager=${fieldManager}`,
      `--patch=${JSON.stringify(patch)}`,
      "-o",
      "json",
    ];
    if (dryRun) args.push("--dry-run=server");
    const result = await this.runChange(args);
    if (result.exitCode === 0) {
      const [object] = parseList<Workload>(result.stdout, `patch ${workloadResources[kind]}`);
      return { kind: "patched", generation: object?.metadata.generation ?? 0 };
    }
    const read = readKubectlStderr(result.stderr);
    const line = read.line || unanswered(result, "patch");
    if (/\(NotFound\)/.test(line)) return { kind: "gone" };
    if (/\(Conflict\)/.test(line)) {
      // Asked again after a kill: the first patch may have gone through, which changed the resourceVersion.
      const landed = result.repeated ? await this.restartedAtLanded(kind, namespace, name, restart) : null;
      return typeof landed === "number"
        ? { kind: "patched", generation: landed }
        : { kind: "conflict", reason: line };
    }
    if (dryRun || refusedOrUnsent(line, read.problem, result)) return { kind: "failed", reason: line };
    // A timeout, a server error, a connection cut after the request went: the patch may have been made.
    const landed = await this.restartedAtLanded(kind, namespace, name, restart);
    if (typeof landed === "number") return { kind: "patched", generation: landed };
    return landed === "unread"
      ? { kind: "failed", reason: line, perhapsPatched: true }
      : { kind: "failed", reason: line };
  }

  /**
   * The workload's generation when its template carries this restartedAt (the patch went through); null when
   * it does not; "unread" when the workload could not be read.
   */
  private async restartedAtLanded(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    restart: { restartedAt: string },
  ): Promise<number | null | "unread"> {
    type Patched = KubeObject & {
      metadata: { generation?: number };
      spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
    };
    let object: Patched | null;
    try {
      object = await this.getObject<Patched>(workloadResources[kind], name, namespace);
    } catch (error) {
      if (error instanceof ToolFailedError) return "unread";
      throw error;
    }
    const annotations = object?.spec?.template?.metadata?.annotations;
    return annotations?.[restartedAtAnnotation] === restart.restartedAt
      ? (object?.metadata.generation ?? 0)
      : null;
  }

  /**
   * Evicts one pod through the Eviction API (policy/v1), only if it is still the one planned (UID
   * precondition). Unlike a DELETE, the API server refuses it while a PodDisruptionBudget forbids the
   * disruption (429), and when several budgets select the pod (500). A dry run goes to the server, which
   * checks the budgets too. What kubectl 1.35 prints (measured on the test bed): 201 → a Status, exit 0;
   * 429 → "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption
   * budget." (the budget's name is only in the body's causes); 500 → "Error from server: This pod has more
   * than one PodDisruptionBudget, which the eviction subresource does not support."; a UID mismatch →
   * "Error from server (Conflict): … the UID in the precondition (…) does not match the UID in record …".
   * Another 429 is an API server shedding load (API Priority and Fairness), after kubectl's own retries.
   */
  async evictPod(namespace: string, name: string, uid: string, dryRun: boolean): Promise<EvictOutcome> {
    objectName(namespace, name);
    const eviction = {
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name, namespace },
      deleteOptions: { preconditions: { uid }, ...(dryRun ? { dryRun: ["All"] } : {}) },
    };
    const path = `/api/v1/namespaces/${namespace}/pods/${name}/eviction`;
    const result = await this.runChange(["create", "--raw", path, "-f", "-"], {
      input: JSON.stringify(eviction),
    });
    if (result.exitCode === 0) return { kind: "evicted" };
    const read = readKubectlStderr(result.stderr);
    const line = read.line || unanswered(result, "eviction");
    const gone = goneOrReplaced(line);
    if (gone) return result.repeated ? { kind: "evicted" } : { kind: gone };
    if (/\(TooManyRequests\)/.test(line))
      return { kind: /disruption budget/i.test(line) ? "blocked" : "throttled", reason: line };
    if (/more than one PodDisruptionBudget/i.test(line)) return { kind: "several-budgets", reason: line };
    return this.failedOrWent("evicted", { line, problem: read.problem }, result, dryRun, {
      namespace,
      name,
      uid,
    });
  }

  /**
   * An eviction or deletion that failed without a refusal (a timeout, a server error, no answer) may have gone
   * through: the pod is read back by its UID, and gone or going counts as `done`. A kubectl stopped (the run
   * is) is asked nothing more, nor is a dry run or a refusal.
   */
  private async failedOrWent<K extends "evicted" | "deleted">(
    done: K,
    { line, problem }: { line: string; problem: ClusterProblem | undefined },
    result: ExecResult & { repeated?: true },
    dryRun: boolean,
    pod: { namespace: string; name: string; uid: string },
  ): Promise<{ kind: K } | { kind: "failed"; reason: string; perhapsDone?: true }> {
    if (dryRun || result.interrupted || result.killedBy || refusedOrUnsent(line, problem, result)) {
      return { kind: "failed", reason: line };
    }
    const went = await this.wentAfterAll(pod.namespace, pod.name, pod.uid);
    if (went === true) return { kind: done };
    if (went === false) return { kind: "failed", reason: line };
    const reason = `${line} (it may have reached the server; the pod could not be read after)`;
    return { kind: "failed", reason, perhapsDone: true };
  }

  /** Whether the pod is going or gone after all, by its UID; null when it could not be read. */
  private async wentAfterAll(namespace: string, name: string, uid: string): Promise<boolean | null> {
    try {
      const pod = await this.readPod(namespace, name);
      return pod === null || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp !== undefined;
    } catch (error) {
      if (error instanceof ToolFailedError) return null;
      throw error;
    }
  }

  /** The PodDisruptionBudgets of one namespace, reduced to what apply checks. */
  listDisruptionBudgets(namespace: string): Promise<DisruptionBudget[]> {
    return this.listDisruptionBudgetsIn({ namespace, allNamespaces: false });
  }

  /** The budgets of a scope: one namespace (the context's when none is named), or all. */
  async listDisruptionBudgetsIn(
    scope: Pick<PodScope, "namespace" | "allNamespaces">,
  ): Promise<DisruptionBudget[]> {
    const namespace = await this.namespaceOf(scope);
    const where = namespace === undefined ? ["--all-namespaces"] : [`--namespace=${namespace}`];
    const args = ["get", "poddisruptionbudgets.policy", ...where, "-o", "json"];
    type Pdb = {
      metadata?: { name?: string; namespace?: string; generation?: number };
      spec?: {
        selector?: LabelSelector;
        minAvailable?: number | string;
        unhealthyPodEvictionPolicy?: string;
      };
      status?: {
        disruptionsAllowed?: number;
        currentHealthy?: number;
        desiredHealthy?: number;
        expectedPods?: number;
        observedGeneration?: number;
      };
    };
    return this.list(args, "get poddisruptionbudgets", (pdb: Pdb) => ({
      name: pdb.metadata?.name ?? "",
      namespace: pdb.metadata?.namespace ?? "",
      selector: pdb.spec?.selector ?? null,
      disruptionsAllowed: allowedByStatus({ ...pdb.status, generation: pdb.metadata?.generation }),
      ...(pdb.status?.expectedPods !== undefined ? { expectedPods: pdb.status.expectedPods } : {}),
      ...(typeof pdb.spec?.minAvailable === "number" ? { countsEndedPods: true } : {}),
      ...(pdb.status?.currentHealthy !== undefined ? { currentHealthy: pdb.status.currentHealthy } : {}),
      ...(pdb.status?.desiredHealthy !== undefined ? { desiredHealthy: pdb.status.desiredHealthy } : {}),
      ...(pdb.spec?.unhealthyPodEvictionPolicy
        ? { unhealthyPodEvictionPolicy: pdb.spec.unhealthyPodEvictionPolicy }
        : {}),
    }));
  }

  /**
   * The restarts in vain this tool's own Events remember (core/restarted-for.ts), in the pods' namespace
   * or all: one paged list, filtered by the server to this tool's Events. Paged, as every restart has an
   * Event: a run that evicted a large DaemonSet leaves thousands for the next runs to read.
   */
  async listRememberedRestarts(
    scope: Pick<PodScope, "namespace" | "allNamespaces">,
    warn?: Warn,
  ): Promise<RememberedRestart[]> {
    const ours = {
      namespace: scope.namespace,
      allNamespaces: scope.allNamespaces,
      fieldSelector: `reportingController=${eventReporter}`,
    };
    const remembered = await this.pagedList(
      "events.events.k8s.io",
      ours,
      undefined,
      parsedBy(rememberedRestart),
      { warn },
    );
    return remembered.filter((r) => r !== null);
  }

  /** Nodes by name (cluster-scoped; the namespace flag is ignored by the server). */
  getNodes(names: readonly string[]): Promise<Node[]> {
    return this.getNamed<Node>("nodes", "default", names);
  }

  getSecrets(namespace: string, names: readonly string[]): Promise<Secret[]> {
    return this.getNamed<Secret>("secrets", namespace, names);
  }

  /**
   * Creates one Event (`kubectl create -f -`, the object on stdin), with the time the API server gave its
   * creation, by its clock (whole seconds). Best-effort: a refusal (RBAC, admission) or a stuck API server is
   * an outcome for the caller to report, never an error; the wait is bounded.
   */
  async createEvent(
    event: KubeEvent,
  ): Promise<{ ok: true; createdAt?: number } | { ok: false; reason: string }> {
    const result = await this.runChange(
      ["create", "-f", "-", "-o", "jsonpath={.metadata.creationTimestamp}"],
      { input: JSON.stringify(event), timeoutMs: eventTimeoutMs },
    );
    if (result.exitCode === 0) {
      const createdAt = Date.parse(result.stdout.trim());
      return Number.isNaN(createdAt) ? { ok: true } : { ok: true, createdAt };
    }
    const reason = result.killedFromOutside
      ? `kubectl was ${howItEnded(result)}`
      : result.interrupted
        ? `no answer within ${eventTimeoutMs / 1000}s`
        : // kubectl create names its input; here it is always stdin, which says nothing.
          (readKubectlStderr(result.stderr).line || howItEnded(result)).replace(
            'error when creating "STDIN": ',
            "",
          );
    return { ok: false, reason };
  }
}

/**
 * A pod change refused because the pod is gone (NotFound) or another has its name (the UID precondition). The
 * API server's own precondition on the pod's resourceVersion (an eviction of a pod that is not running, its
 * retries spent while the pod kept changing) says the pod is still there.
 */
function goneOrReplaced(line: string): "gone" | "replaced" | null {
  if (/\(NotFound\)/.test(line)) return "gone";
  if (/\(Conflict\)/.test(line) && /\bUID in (the )?precondition/i.test(line)) return "replaced";
  return null;
}

/** Who hears about a pod list as it is read. */
export interface PodListListener {
  warn?: Warn;
  /** Each pod, as soon as it is read. */
  onPod?: (pod: Pod) => void;
  /** The list starts again (an expired continue token): the pods passed to onPod so far are dropped. */
  onRestart?: () => void;
}

/** An Event is a side note: a slow API server must not hold the run's end for long. */
const eventTimeoutMs = 20_000;

export type EvictOutcome =
  | { kind: "evicted" }
  | { kind: "gone" }
  | { kind: "replaced" }
  /** 429: a budget allows no disruption now. */
  | { kind: "blocked"; reason: string }
  /**
   * 429 for another reason: the API server sheds load (API Priority and Fairness), kubectl's retries spent.
   */
  | { kind: "throttled"; reason: string }
  /** 500: more than one budget selects the pod, which the Eviction API does not support. */
  | { kind: "several-budgets"; reason: string }
  | { kind: "failed"; reason: string };

export type PatchOutcome =
  | { kind: "patched"; generation: number }
  | { kind: "gone" }
  | { kind: "conflict"; reason: string }
  /** `perhapsPatched`: the request may have reached the server, and the workload could not be read after. */
  | { kind: "failed"; reason: string; perhapsPatched?: true };

/**
 * kubectl's words for a request the API server answered by refusing it, unmade: no need to look whether it
 * was made. Any other failure (a timeout, a server error, no answer) may follow a write that went through.
 */
const refusedOutright =
  /\((Forbidden|Unauthorized|Invalid|BadRequest|MethodNotAllowed|NotAcceptable|UnsupportedMediaType|RequestEntityTooLarge|TooManyRequests)\)/;

/** Problems that come before kubectl sends its request (no connection, login or context), or refuse it. */
const unsentProblems = new Set<ClusterProblem["kind"]>([
  "refused",
  "untrusted",
  "unauthorized",
  "plugin-missing",
  "plugin-failed",
  "plugin-not-allowed",
  "no-credentials",
  "plugin-needs-terminal",
  "login-prompt",
  "no-such-context",
  "no-current-context",
  "no-kubeconfig-file",
]);

/**
 * Whether a change kubectl reports failed was surely not made: refused by the server, or never sent. A
 * timeout, or a connection lost (which may come after the request went), leaves it open; so does any
 * answer to a change sent again after its first kubectl was killed, which may have gone through.
 */
function refusedOrUnsent(
  line: string,
  problem: ClusterProblem | undefined,
  result: { repeated?: boolean },
): boolean {
  if (result.repeated) return false;
  return refusedOutright.test(line) || (problem !== undefined && unsentProblems.has(problem.kind));
}

export type DeleteOutcome =
  | { kind: "deleted" }
  | { kind: "gone" }
  | { kind: "replaced" }
  /** `perhapsDone`: the request may have reached the server, and the pod could not be read after. */
  | { kind: "failed"; reason: string; perhapsDone?: true };

/**
 * Checks a name from the cluster before it becomes a word of kubectl's argv or part of a --raw path.
 * kubectl takes a word that looks like a flag for one wherever it stands: a pull secret or owner named
 * `--server=https://…` would send the kubeconfig's token there. The API server checks the names of objects,
 * not of references to them, and no object can have a name that fails this.
 */
function objectName(namespace: string, name: string): void {
  if (isDnsLabel(namespace) && isObjectName(name)) return;
  throw new ToolFailedError(
    `refusing to name ${JSON.stringify(`${namespace}/${name}`)} to kubectl: no object can have that name`,
  );
}

function checked(result: ExecResult, what: string): ExecResult {
  if (result.exitCode === 0) return result;
  throw kubectlFailure(result, what);
}

/**
 * The objects of one resource in one namespace that a label or field selector picks, whole, read as the
 * parts `T` its reader needs: small lists (a controller's pods, a Job's Events), not paged.
 */
export async function listSelected<T>(
  kubectl: Pick<Kubectl, "run">,
  resource: string,
  namespace: string,
  selector: { label: string } | { field: string },
): Promise<T[]> {
  const picked = "label" in selector ? `--selector=${selector.label}` : `--field-selector=${selector.field}`;
  const out = await kubectl.run(["get", resource, `--namespace=${namespace}`, picked, "-o", "json"]);
  return parseList<T>(out, `get ${resource.split(".")[0]}`);
}

/** Parses `kubectl get -o json`: a List, or a single object when one name was asked for. */
export function parseList<T>(text: string, what: string): T[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ToolFailedError(`kubectl ${what} printed malformed JSON`);
  }
  if (parsed && typeof parsed === "object" && Array.isArray((parsed as KubeList<T>).items)) {
    return (parsed as KubeList<T>).items;
  }
  if (parsed && typeof parsed === "object" && "metadata" in parsed) return [parsed as T];
  throw new ToolFailedError(`kubectl ${what} printed JSON that is not a list of objects`);
}

/**
 * A change kubectl said nothing about: killed (a terminal's Ctrl-C reaches the whole process group) or
 * exited without a word. It may have reached the server before that, so the reason does not say it did not.
 */
function unanswered(result: ExecResult, change: string): string {
  if (result.killedBy === undefined) return howItEnded(result);
  return `kubectl was ${howItEnded(result)} before it answered: the ${change} may have reached the server`;
}
