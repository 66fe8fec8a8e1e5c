/** Flags shared by plan and apply, validated once into typed options (house style: Complete/Validate). */
import type { KubectlConnection, PodScope } from "./adapters/kubectl.js";
import type { ResolverName } from "./core/plan.js";
import { parseRegistryHost } from "./core/registry-host.js";
import { UsageError } from "./errors.js";
import type { ColorMode } from "./output/color.js";
import { parseDuration } from "./util/duration.js";

/** As commander hands them over. */
export interface RawOptions {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  requestTimeout?: string;
  as?: string;
  asGroup?: string[];
  output?: string;
  headers?: boolean;
  color?: string;
  resolver?: string;
  concurrency?: string;
  kubectl?: string;
  docker?: string;
  pullTimeout?: string;
  insecureRegistry?: string[];
  localCredentials?: boolean;
  registryTimeout?: string;
  registryRetries?: string;
  verbose?: boolean;
}

export type OutputFormat = "table" | "wide" | "json" | "yaml";

export interface RunOptions {
  scope: PodScope;
  connection: KubectlConnection;
  output: OutputFormat;
  noHeaders: boolean;
  color: ColorMode;
  resolver: ResolverName;
  concurrency: number;
  kubectlPath: string;
  dockerPath: string;
  pullTimeoutMs: number;
  insecureRegistries: string[];
  localCredentials: boolean;
  /** --resolver registry: per-request timeout and retries of 429/5xx/network errors. */
  registryTimeoutMs: number;
  registryRetries: number;
  verbose: boolean;
}

const outputs: readonly OutputFormat[] = ["table", "wide", "json", "yaml"];
const colors: readonly ColorMode[] = ["auto", "always", "never"];
const resolvers: readonly ResolverName[] = ["docker", "registry"];

/** Validates flags; `env` supplies the executables' defaults ($KUBECTL_PATH is set by kubectl ≥ 1.37). */
export function resolveOptions(
  raw: RawOptions,
  env: Readonly<Record<string, string | undefined>>,
): RunOptions {
  const output = (raw.output ?? "table") as OutputFormat;
  if (!outputs.includes(output))
    throw new UsageError(
      `unable to match a printer for output format "${raw.output}"; allowed: ${outputs.join(", ")}`,
    );
  const color = (raw.color ?? "auto") as ColorMode;
  if (!colors.includes(color))
    throw new UsageError(`invalid value "${raw.color}" for --color; allowed: ${colors.join(", ")}`);
  const resolver = (raw.resolver ?? "docker") as ResolverName;
  if (!resolvers.includes(resolver)) {
    throw new UsageError(`invalid value "${raw.resolver}" for --resolver; allowed: ${resolvers.join(", ")}`);
  }
  const concurrency = Number(raw.concurrency ?? "4");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError(
      `invalid value "${raw.concurrency}" for --concurrency: want a whole number from 1 to 64`,
    );
  }
  if (raw.namespace === "") throw new UsageError("--namespace must not be empty");
  const registryRetries = Number(raw.registryRetries ?? "2");
  if (!Number.isInteger(registryRetries) || registryRetries < 0 || registryRetries > 10) {
    throw new UsageError(
      `invalid value "${raw.registryRetries}" for --registry-retries: want a whole number from 0 to 10`,
    );
  }
  if (raw.requestTimeout !== undefined) parseDuration(raw.requestTimeout, "--request-timeout");
  const registryTimeoutMs = parseDuration(raw.registryTimeout ?? "10s", "--registry-timeout");
  if (registryTimeoutMs <= 0) throw new UsageError("--registry-timeout must be longer than 0");
  const pullTimeoutMs = parseDuration(raw.pullTimeout ?? "5m", "--pull-timeout");
  if (pullTimeoutMs <= 0) throw new UsageError("--pull-timeout must be longer than 0");

  return {
    scope: {
      namespace: raw.namespace,
      allNamespaces: raw.allNamespaces === true,
      selector: raw.selector,
      fieldSelector: raw.fieldSelector,
    },
    connection: {
      kubeconfig: raw.kubeconfig,
      context: raw.context,
      cluster: raw.cluster,
      user: raw.user,
      requestTimeout: raw.requestTimeout,
      as: raw.as,
      asGroups: raw.asGroup ?? [],
    },
    output,
    noHeaders: raw.headers === false,
    color,
    resolver,
    concurrency,
    kubectlPath: raw.kubectl || env["KUBECTL"] || env["KUBECTL_PATH"] || "kubectl",
    dockerPath: raw.docker || env["DOCKER"] || "docker",
    pullTimeoutMs,
    insecureRegistries: (raw.insecureRegistry ?? []).map(insecureRegistryHost),
    localCredentials: raw.localCredentials !== false,
    registryTimeoutMs,
    registryRetries,
    verbose: raw.verbose === true,
  };
}

function insecureRegistryHost(value: string): string {
  const host = parseRegistryHost(value);
  if (host === null) {
    throw new UsageError(
      `invalid value "${value}" for --insecure-registry; want HOST[:PORT], e.g. registry.lan:5000`,
    );
  }
  return host;
}
