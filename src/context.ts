/** What a command runs with: streams, environment, cancellation, and the adapters built from options. */
import { homedir } from "node:os";
import type { ChalkInstance } from "chalk";
import { LocalCredentials } from "./adapters/credentials/local-credentials.js";
import { Docker } from "./adapters/docker.js";
import { DockerResolver } from "./adapters/docker-resolver.js";
import { createExec, type Exec } from "./adapters/exec.js";
import { Kubectl } from "./adapters/kubectl.js";
import { RegistryResolver } from "./adapters/registry/resolver.js";
import type { Resolver } from "./adapters/resolver.js";
import { trustSystemCertificates } from "./adapters/system-ca.js";
import { isLoopbackHost } from "./core/image-ref.js";
import type { ImageInUse } from "./core/images-in-use.js";
import type { Credential } from "./core/keyring.js";
import { defaultRetryPolicy } from "./core/retry-policy.js";
import type { RunOptions } from "./options.js";
import { makeChalk, shouldColor } from "./output/color.js";
import { createProgress, type Progress } from "./output/progress.js";

/** The process around a command; tests pass their own. */
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export interface Context {
  io: Io;
  options: RunOptions;
  chalk: ChalkInstance;
  exec: Exec;
  kubectl: Kubectl;
  /** Built on first use: plan with nothing to resolve needs no docker. */
  resolver(): Resolver;
  /**
   * The user's docker config and credential helpers, after the pull secrets in the chain (registry resolver;
   * the docker resolver lets docker read that config itself). Absent with --no-local-credentials.
   */
  extraCredentials?: (image: ImageInUse) => Promise<Credential[]>;
  /** Problems met while reading local credentials (an unreadable config, a failing helper). */
  credentialWarnings(): string[];
  progress: Progress;
  /** A line on stderr, only with --verbose. */
  debug(line: string): void;
}

export function createContext(io: Io, options: RunOptions): Context {
  const chalk = makeChalk(shouldColor(options.color, io.stdout.isTTY === true, io.env));
  const debug = (line: string) => {
    if (options.verbose) io.stderr.write(`${chalk.dim(line)}\n`);
  };
  const exec = createExec(
    {
      [options.kubectlPath]: { override: "--kubectl (or KUBECTL)" },
      [options.dockerPath]: { override: "--docker (or DOCKER)" },
    },
    debug,
  );
  const machineOutput = options.output === "json" || options.output === "yaml";
  const progress = createProgress(
    io.stderr.isTTY === true && !machineOutput && !options.verbose,
    io.stderr,
    shouldColor(options.color, io.stderr.isTTY === true, io.env),
  );
  let resolver: Resolver | undefined;
  const local =
    options.localCredentials && options.resolver === "registry"
      ? new LocalCredentials({ exec, env: io.env, home: io.env["HOME"] || homedir() })
      : null;
  return {
    io,
    options,
    chalk,
    exec,
    kubectl: new Kubectl(exec, options.kubectlPath, options.connection),
    resolver() {
      resolver ??= createResolver(exec, options, io.env, debug);
      return resolver;
    },
    ...(local ? { extraCredentials: (image: ImageInUse) => local.lookup(image.ref.domain) } : {}),
    credentialWarnings: () => local?.warnings() ?? [],
    progress,
    debug,
  };
}

function createResolver(
  exec: Exec,
  options: RunOptions,
  env: NodeJS.ProcessEnv,
  debug: (line: string) => void,
): Resolver {
  const insecure = new Set(options.insecureRegistries);
  const isInsecure = (host: string) => isLoopbackHost(host) || insecure.has(host.toLowerCase());
  if (options.resolver === "registry") {
    const certificates = trustSystemCertificates(env);
    debug(`registry: trusting ${certificates} CA certificates of the system besides Node's own`);
    return new RegistryResolver({
      isInsecure,
      timeoutMs: options.registryTimeoutMs,
      retry: { ...defaultRetryPolicy, retries: options.registryRetries },
      log: options.verbose ? debug : undefined,
      // -o wide prints the notes itself; --verbose alone logs them.
      logNotes: options.output !== "wide",
    });
  }
  return new DockerResolver(new Docker(exec, options.dockerPath), {
    isInsecure,
    pullTimeoutMs: options.pullTimeoutMs,
    userConfig: options.localCredentials,
  });
}
