/** What plan and apply run with: the options, and the adapters built from them. */
import { LocalCredentials } from "../adapters/credentials/local-credentials.js";
import type { Exec } from "../adapters/exec.js";
import type { PodScope } from "../adapters/kubectl.js";
import { createProgress, type Progress } from "../adapters/progress.js";
import { type Resolver, withoutDocker } from "../adapters/resolver.js";
import { type Connection, type ConnectionOptions, connect } from "../connection.js";
import { isLoopbackHost, parseImageRef } from "../core/image-ref.js";
import type { Credential } from "../core/keyring.js";
import type { ResolverName, StrategyName } from "../core/plan.js";
import { type ProxySettings, proxyAddress } from "../core/proxy.js";
import type { RecordRef } from "../core/restart-record.js";
import type { Io } from "../io.js";
import { shouldColor } from "../output/color.js";
import { isMachineFormat, type PlanFormat } from "../output/plan-format.js";
import { type Clock, systemClock } from "../util/clock.js";

/** What plan and apply share: the pods in scope, how to resolve their images, how to print the plan. */
export interface PlanningOptions extends ConnectionOptions {
  scope: PodScope;
  output: PlanFormat;
  noHeaders: boolean;
  resolver: ResolverName;
  concurrency: number;
  dockerPath: string;
  pullTimeoutMs: number;
  insecureRegistries: string[];
  localCredentials: boolean;
  /** --resolver registry: per-request timeout and retries of 429/5xx/network errors, and the proxies. */
  registryTimeoutMs: number;
  registryRetries: number;
  /** --max-requests: requests the run may send to registries; unbounded when absent. */
  maxRequests?: number;
  proxy: ProxySettings;
  /** --image: only containers running these references (normalized); all when absent. */
  images?: ReadonlySet<string>;
  /** --min-age: act only on new images at least this old. */
  minAgeMs?: number;
  /** How apply restarts a controller's stale pods; plan shows the choice. */
  strategy: StrategyName;
  /**
   * The ConfigMap that remembers restarts in vain beyond the Events ($KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP).
   */
  record?: RecordRef;
}

export interface Context<O extends PlanningOptions = PlanningOptions> extends Connection {
  io: Io;
  options: O;
  clock: Clock;
  /** Built, and its modules loaded, on first call; the plan asks for it while the pods are being listed. */
  resolver(): Promise<Resolver>;
  /**
   * The user's docker config and credential helpers, after the pull secrets in the chain (registry resolver;
   * the docker resolver lets docker read that config itself). Absent with --no-local-credentials.
   */
  extraCredentials?: (repository: string) => Promise<Credential[]>;
  /** Problems met while reading local credentials (an unreadable config, a failing helper). */
  credentialWarnings(): string[];
  progress: Progress;
}

export function createContext<O extends PlanningOptions>(io: Io, options: O): Context<O> {
  const connection = connect(io, options, {
    [options.dockerPath]: { override: "--docker (or DOCKER)", instead: withoutDocker },
  });
  const machineOutput = isMachineFormat(options.output);
  const progress = createProgress(
    !machineOutput && !options.verbose,
    io.stderr,
    io.env,
    shouldColor(options.color, io.stderr.isTTY === true, io.env),
  );
  let resolver: Promise<Resolver> | undefined;
  const local =
    options.localCredentials && options.resolver === "registry"
      ? new LocalCredentials({ exec: connection.exec, env: io.env, home: io.home, signal: io.signal })
      : null;
  return {
    ...connection,
    io,
    options,
    clock: systemClock,
    resolver() {
      resolver ??= createResolver(connection.exec, options, io, connection.debug);
      return resolver;
    },
    ...(local
      ? { extraCredentials: (repository: string) => local.lookup(parseImageRef(repository).domain) }
      : {}),
    credentialWarnings: () => local?.warnings() ?? [],
    progress,
  };
}

async function createResolver(
  exec: Exec,
  options: PlanningOptions,
  io: Pick<Io, "env" | "home" | "signal">,
  debug: (line: string) => void,
): Promise<Resolver> {
  const insecure = new Set(options.insecureRegistries);
  const isInsecure = (host: string) => isLoopbackHost(host) || insecure.has(host.toLowerCase());
  if (options.resolver === "registry") {
    const [{ trustSystemCertificates }, { RegistryResolver }, { defaultRetryPolicy }] = await Promise.all([
      import("../adapters/system-ca.js"),
      import("../adapters/registry/resolver.js"),
      import("../adapters/registry/retry-policy.js"),
    ]);
    const certificates = trustSystemCertificates(io.env);
    debug(`registry: trusting ${certificates} CA certificates of the system besides Node's own`);
    const { https, http } = options.proxy;
    for (const [scheme, proxy] of [
      ["https", https],
      ["http", http],
    ] as const) {
      if (proxy)
        debug(`registry: ${scheme} through the proxy ${proxyAddress(proxy)} unless NO_PROXY says not`);
    }
    return new RegistryResolver({
      isInsecure,
      proxy: options.proxy,
      timeoutMs: options.registryTimeoutMs,
      retry: { ...defaultRetryPolicy, retries: options.registryRetries },
      maxRequests: options.maxRequests,
      log: options.verbose ? debug : undefined,
      // -o wide prints the notes itself; --verbose alone logs them.
      logNotes: options.output !== "wide",
    });
  }
  const [{ Docker }, { DockerResolver }, { userDockerEngine }] = await Promise.all([
    import("../adapters/docker.js"),
    import("../adapters/docker-resolver.js"),
    import("../adapters/credentials/private-docker-config.js"),
  ]);
  // docker reads the user's config itself; this reads it only to blank what docker may quote of it, and to
  // know whether it holds a credential. A docker older than 28.3 does not read $DOCKER_AUTH_CONFIG.
  const own = (env: Io["env"]) => new LocalCredentials({ exec, env, home: io.home, signal: io.signal });
  const withAuthConfig = options.localCredentials ? own(io.env) : null;
  const withoutAuthConfig = options.localCredentials
    ? own({ ...io.env, DOCKER_AUTH_CONFIG: undefined })
    : null;
  return new DockerResolver(new Docker(exec, options.dockerPath), {
    isInsecure,
    pullTimeoutMs: options.pullTimeoutMs,
    userConfig: options.localCredentials,
    engine: userDockerEngine(io.env, io.home),
    manifestReads: options.concurrency,
    ...(withAuthConfig && withoutAuthConfig
      ? {
          userCredentials: (domain: string, readsAuthConfig: boolean) =>
            (readsAuthConfig ? withAuthConfig : withoutAuthConfig).lookup(domain),
        }
      : {}),
  });
}
