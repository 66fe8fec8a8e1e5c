/**
 * Flags → typed options, one parser per verb, all in one style: a bad value throws UsageError naming the
 * flag, before anything runs. Defaults come from defaults.ts (house style: Complete/Validate).
 */

import type { KubectlConnection } from "../adapters/kubectl.js";
import { parseRegistryHost } from "../adapters/registry/host.js";
import type { ApplyOptions, ApplyReporting, WebhookTarget } from "../commands/apply.js";
import type { PlanningOptions } from "../commands/context.js";
import type { PlanOptions } from "../commands/plan.js";
import type { ConnectionOptions } from "../connection.js";
import { formatImageRef, InvalidImageRefError, parseImageRef } from "../core/image-ref.js";
import { checkNamespace } from "../core/object-name.js";
import type { ResolverName, StrategyName } from "../core/plan.js";
import { directOnly } from "../core/proxy.js";
import { parseRecordRef, type RecordRef } from "../core/restart-record.js";
import { ownJobEnv, recordConfigMapEnv, resultFileEnv } from "../cron/core/job-contract.js";
import { UsageError } from "../errors.js";
import type { ColorMode } from "../output/color.js";
import type { Checked } from "../util/checked.js";
import { invalidValue, mayHoldCredentials, quotedValue } from "../util/shown-value.js";
import { colorModes, planFormats, resolverNames, strategyNames } from "./choices.js";
import { defaults } from "./defaults.js";
import { parseDuration, timerDuration } from "./duration.js";
import { parseProxyEnvironment } from "./proxy-environment.js";
import { parseWebhookOptions, type RawWebhookFlags } from "./webhook-options.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Every verb's flags that say where kubectl connects and how the tool talks, as commander hands them over:
 * kubectl's own under their connection names (but the repeatable --as-group and --as-user-extra under
 * commander's keys).
 */
export interface RawConnectionFlags extends Omit<KubectlConnection, "asGroups" | "asUserExtras"> {
  asGroup?: string[];
  asUserExtra?: string[];
  token?: string;
  username?: string;
  password?: string;
  kubectl?: string;
  color?: string;
  verbose?: boolean;
}

/** plan's and apply's flags as commander hands them over. */
interface RawPlanningFlags extends RawConnectionFlags {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  headers?: boolean;
  resolver?: string;
  concurrency?: string;
  docker?: string;
  pullTimeout?: string;
  insecureRegistry?: string[];
  localCredentials?: boolean;
  registryTimeout?: string;
  registryRetries?: string;
  maxRequests?: string;
  image?: string[];
  minAge?: string;
  strategy?: string;
}

export interface RawPlanFlags extends RawPlanningFlags {
  exitCode?: boolean;
}

export interface RawApplyFlags extends RawPlanningFlags, RawWebhookFlags {
  yes?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  summaryJson?: boolean;
}

/** The value of an enumerated flag (choices.ts), or `fallback` when it is not given. */
export function parseChoice<T extends string>(
  value: string | undefined,
  flag: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const chosen = (value ?? fallback) as T;
  if (!allowed.includes(chosen)) {
    throw new UsageError(`${invalidValue(chosen, flag)}; allowed: ${allowed.join(", ")}`);
  }
  return chosen;
}

/** A value of --strategy. */
export function parseStrategy(value: string | undefined): StrategyName {
  return parseChoice(value, "--strategy", strategyNames, defaults.strategy);
}

/**
 * A value of `-o`, refused the way kubectl refuses an unknown printer; like kubectl's, `json`, `yaml` and
 * `name` are taken in any case (`wide` is not), and an empty value (`-o "$FORMAT"` with it unset) is
 * the default.
 */
export function parseOutput<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  const lowered = value?.toLowerCase();
  const output = (
    lowered === "json" || lowered === "yaml" || lowered === "name" ? lowered : value || fallback
  ) as T;
  if (!allowed.includes(output)) {
    throw new UsageError(
      `unable to match a printer suitable for the output format ${quotedValue(value ?? "")}, allowed formats are: ${allowed.join(",")}`,
    );
  }
  return output;
}

/** The value of a pure check, or a UsageError with its message (optionally prefixed, e.g. with the flag). */
export function checkedValue<T>(checked: Checked<T>, prefix = ""): T {
  if (!checked.ok) throw new UsageError(`${prefix}${checked.message}`);
  return checked.value;
}

function parseColor(raw: Pick<RawConnectionFlags, "color">): ColorMode {
  return parseChoice(raw.color, "--color", colorModes, defaults.color);
}

/** Connection flags; `env` supplies the kubectl default ($KUBECTL_PATH is set by kubectl ≥ 1.37). */
export function parseConnectionOptions(raw: RawConnectionFlags, env: Env): ConnectionOptions {
  const color = parseColor(raw);
  // Empty is kubectl's default (no timeout set), as kubectl takes it: `--request-timeout="$T"`, T unset.
  const requestTimeoutMs = raw.requestTimeout
    ? parseDuration(raw.requestTimeout, "--request-timeout")
    : undefined;
  if (raw.kuberc && env["KUBERC"] === "off") {
    throw new UsageError(
      "--kuberc and KUBERC=off cannot be used together, as kubectl refuses them; drop one",
    );
  }
  // kubectl's switch for kuberc as a whole: off, kubectl has no --kuberc.
  if (raw.kuberc && env["KUBECTL_KUBERC"]?.toLowerCase() === "false") {
    throw new UsageError(
      "--kuberc and KUBECTL_KUBERC=false cannot be used together, as kubectl has no --kuberc then; drop one",
    );
  }
  // Empty is kubectl's "not given" (`--token="$T"`, T unset): nothing would be passed on.
  if (raw.token) {
    throw new UsageError(
      "--token is not taken: it would be in the argv of every kubectl this runs, readable by other users (ps); keep the token in a file and name it in a kubeconfig user (kubectl config set-credentials NAME, then kubectl config set users.NAME.tokenFile FILE), and pass --user NAME, or use a context that has it",
    );
  }
  if (raw.username || raw.password) {
    throw new UsageError(
      "--username and --password are not taken: the password would be in the argv of every kubectl this runs, readable by other users (ps); write both into a user of your kubeconfig file with an editor (not on a command line, kubectl config set-credentials's included) and pass --user NAME",
    );
  }
  // A URL's user info (https://user:password@host), quoted nowhere, not even in this refusal. Any `@`
  // counts: a password may hold `/`, `?` or `#`, and an API server's path has no use for one.
  if (raw.server?.includes("@")) {
    throw new UsageError(
      "--server with a user or password in its URL is not taken: it would be in the argv of every kubectl this runs, readable by other users (ps); write the credentials into a user of your kubeconfig file with an editor (not on a command line) and pass --user NAME with --server at the plain URL",
    );
  }
  return {
    connection: {
      kubeconfig: raw.kubeconfig,
      context: raw.context,
      cluster: raw.cluster,
      user: raw.user,
      server: raw.server,
      certificateAuthority: raw.certificateAuthority,
      clientCertificate: raw.clientCertificate,
      clientKey: raw.clientKey,
      tlsServerName: raw.tlsServerName,
      insecureSkipTlsVerify: raw.insecureSkipTlsVerify === true,
      requestTimeout: raw.requestTimeout,
      requestTimeoutMs,
      as: raw.as,
      asGroups: raw.asGroup ?? [],
      asUid: raw.asUid,
      asUserExtras: raw.asUserExtra ?? [],
      cacheDir: raw.cacheDir,
      disableCompression: raw.disableCompression === true,
      kuberc: raw.kuberc,
    },
    kubectlPath: raw.kubectl || env["KUBECTL"] || env["KUBECTL_PATH"] || "kubectl",
    color,
    verbose: raw.verbose === true,
  };
}

/** plan's and apply's shared flags; `env` supplies the executables' defaults. */
function parsePlanningOptions(raw: RawPlanningFlags, env: Env): PlanningOptions {
  const output = parseOutput(raw.output, planFormats, defaults.output);
  const connection = parseConnectionOptions(raw, env);
  const resolver = parseChoice(raw.resolver, "--resolver", resolverNames, defaults.resolver);
  const concurrency = wholeNumber(raw.concurrency ?? defaults.concurrency, "--concurrency", 1, 64);
  const minAge = minAgeOf(raw.minAge);
  const registryRetries = wholeNumber(
    raw.registryRetries ?? defaults.registryRetries,
    "--registry-retries",
    0,
    10,
  );
  const registryTimeoutMs = positiveDuration(
    raw.registryTimeout ?? defaults.registryTimeout,
    "--registry-timeout",
  );
  const pullTimeoutMs = positiveDuration(raw.pullTimeout ?? defaults.pullTimeout, "--pull-timeout");
  const maxRequests = raw.maxRequests === undefined ? undefined : parseMaxRequests(raw.maxRequests, resolver);
  // A flag of one resolver, taken and then left unused by the other, would promise what is not kept.
  for (const [flag, given] of [
    ["--registry-timeout", raw.registryTimeout],
    ["--registry-retries", raw.registryRetries],
  ] as const) {
    if (given !== undefined && resolver !== "registry") {
      throw new UsageError(`${flag} needs --resolver registry: docker's pulls are bounded by --pull-timeout`);
    }
  }
  for (const [flag, given] of [
    ["--pull-timeout", raw.pullTimeout],
    ["--docker", raw.docker],
  ] as const) {
    if (given !== undefined && resolver !== "docker") {
      throw new UsageError(`${flag} needs --resolver docker: the registry resolver runs no docker`);
    }
  }

  return {
    ...connection,
    scope: {
      // Empty (`-n "$NS"` with it unset), as kubectl takes it: the context's namespace.
      namespace: raw.namespace ? checkedValue(checkNamespace(raw.namespace)) : undefined,
      allNamespaces: raw.allNamespaces === true,
      selector: raw.selector,
      fieldSelector: raw.fieldSelector,
    },
    output,
    noHeaders: raw.headers === false,
    resolver,
    concurrency,
    dockerPath: raw.docker || env["DOCKER"] || "docker",
    pullTimeoutMs,
    insecureRegistries: (raw.insecureRegistry ?? []).map(insecureRegistryHost),
    localCredentials: raw.localCredentials !== false,
    registryTimeoutMs,
    registryRetries,
    ...(maxRequests !== undefined ? { maxRequests } : {}),
    // docker's daemon has proxy settings of its own.
    proxy: resolver === "registry" ? parseProxyEnvironment(env) : directOnly,
    ...(raw.image ? { images: new Set(raw.image.map(imageKey)) } : {}),
    ...(minAge !== undefined ? { minAgeMs: parseDuration(minAge, "--min-age") } : {}),
    strategy: parseStrategy(raw.strategy),
    ...recordOf(env),
  };
}

function recordOf(env: Env): { record?: RecordRef } {
  const text = env[recordConfigMapEnv];
  if (!text) return {};
  const record = parseRecordRef(text);
  if (!record) {
    throw new UsageError(
      `${invalidValue(text, `$${recordConfigMapEnv}`)}: want NAMESPACE/NAME of a ConfigMap`,
    );
  }
  return { record };
}

export function parsePlanOptions(raw: RawPlanFlags, env: Env): PlanOptions {
  return { ...parsePlanningOptions(raw, env), exitCode: raw.exitCode === true };
}

export function parseApplyOptions(raw: RawApplyFlags, env: Env): ApplyOptions {
  return {
    ...applyReporting(raw, env, parseWebhookOptions(raw, env), parseColor(raw)),
    ...parsePlanningOptions(raw, env),
    yes: raw.yes === true,
    wait: raw.wait !== false,
    // 0 would restart and then fail at once, the replacement unchecked: not waiting is --no-wait.
    waitTimeoutMs:
      raw.wait === false
        ? timerDuration(raw.waitTimeout ?? defaults.waitTimeout, "--wait-timeout")
        : positiveDuration(raw.waitTimeout ?? defaults.waitTimeout, "--wait-timeout", "--no-wait"),
    summaryJson: raw.summaryJson === true,
    ...ownJobOf(env),
  };
}

/**
 * Where a run that failed on its other flags reports that: undefined when nowhere (no webhook nor result
 * file). Webhook flags that are wrong too leave the result file alone to say so.
 */
export function reportingDespite(raw: RawApplyFlags, env: Env): ApplyReporting | undefined {
  const despite = <T>(parse: () => T, otherwise: T): T => {
    try {
      return parse();
    } catch {
      return otherwise;
    }
  };
  const webhook = despite(() => parseWebhookOptions(raw, env), undefined);
  const reporting = applyReporting(
    raw,
    env,
    webhook,
    despite(() => parseColor(raw), defaults.color),
  );
  return reporting.webhook || reporting.resultFile ? reporting : undefined;
}

/** Where apply reports its run. */
function applyReporting(
  raw: RawApplyFlags,
  env: Env,
  webhook: WebhookTarget | undefined,
  color: ColorMode,
): ApplyReporting {
  return {
    dryRun: raw.dryRun === true,
    color,
    ...(webhook ? { webhook } : {}),
    ...(env[resultFileEnv] ? { resultFile: env[resultFileEnv] } : {}),
  };
}

/** In the CronJob's pod, the downward API names the Job (install-cron sets both variables). */
function ownJobOf(env: Env): Pick<ApplyOptions, "ownJob"> {
  const namespace = env[ownJobEnv.namespace];
  return namespace ? { ownJob: { name: env[ownJobEnv.name] ?? "", namespace } } : {};
}

/**
 * --max-requests: a budget of the requests the plugin sends itself, which the docker resolver leaves
 * to docker.
 */
export function parseMaxRequests(text: string, resolver: ResolverName): number {
  const max = wholeNumber(text, "--max-requests", 1, 1_000_000);
  if (resolver !== "registry") {
    throw new UsageError(
      "--max-requests needs --resolver registry: it counts the requests the plugin sends, and docker sends its own",
    );
  }
  return max;
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  // Digits only: Number() would read "" and " " as 0 (an unset "$RETRIES"), and "1e1" as 10.
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${invalidValue(text, flag)}: want a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A duration longer than 0 that a timer waits for. */
function positiveDuration(text: string, flag: string, instead?: string): number {
  const ms = timerDuration(text, flag);
  if (ms <= 0) throw new UsageError(`${flag} must be longer than 0${instead ? ` (or use ${instead})` : ""}`);
  return ms;
}

/** An --image value as images are compared: the normalized reference. */
function imageKey(value: string): string {
  try {
    return formatImageRef(parseImageRef(value));
  } catch (error) {
    if (!(error instanceof InvalidImageRefError)) throw error;
    // Why it is not a reference may quote the part that holds them.
    const why = mayHoldCredentials(value)
      ? "want an image reference, e.g. registry.lan/shop/web:main"
      : error.message;
    throw new UsageError(`${invalidValue(value, "--image")}: ${why}`);
  }
}

/**
 * --min-age as given, checked, or undefined for no hold: 0 and an empty value (`--min-age "$AGE"` with it
 * unset) hold nothing back. install-cron passes it on to the job as written.
 */
export function minAgeOf(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  return parseDuration(value, "--min-age") === 0 ? undefined : value;
}

function insecureRegistryHost(value: string): string {
  const host = parseRegistryHost(value);
  if (host === null) {
    throw new UsageError(
      `${invalidValue(value, "--insecure-registry")}; want HOST[:PORT], e.g. registry.lan:5000`,
    );
  }
  return host;
}
