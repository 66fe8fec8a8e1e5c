/**
 * Shared pieces of the registry-resolver integration tests: running the built CLI in an isolated home
 * (its own docker config, TMPDIR and PATH), pods, registries with Bearer auth, and secret scanning.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, inject } from "vitest";
import { type CliResult, runCli } from "../cli.js";
import type { FakeCluster } from "../fake-kubectl.js";
import { makePod, type PodSpec } from "../pods.js";
import { type Registry, startRegistry } from "./distribution.js";
import { startTokenServer, type TokenServer, type TokenServerOptions } from "./token-server.js";

const created: string[] = [];

/** A temporary directory removed by removeTempDirs (test credentials live in some of them). */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory the harness made; call it in afterAll. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A Deployment's pod running `image` at `digest` (containerd form unless `extra.runtime` says otherwise). */
export function deploymentPod(name: string, image: string, digest: string, extra: Partial<PodSpec> = {}) {
  return makePod({
    name,
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    containers: [{ name: "app", image, runningDigest: digest }],
    ...extra,
  });
}

export interface Home {
  dir: string;
  /** The user's docker config directory (DOCKER_CONFIG). */
  dockerConfig: string;
  tmp: string;
}

/** A fresh home with a docker config (`config` is written as config.json when given) and an empty TMPDIR. */
export function makeHome(config?: object): Home {
  const dir = tempDir("kau-home-");
  const dockerConfig = join(dir, ".docker");
  mkdirSync(dockerConfig);
  if (config) writeFileSync(join(dockerConfig, "config.json"), JSON.stringify(config));
  const tmp = tempDir("kau-tmp-");
  return { dir, dockerConfig, tmp };
}

export interface PlanRun extends CliResult {
  /** Files left in the run's TMPDIR (relative paths). */
  leftovers: string[];
  /** Everything left in TMPDIR, concatenated, to scan for secrets. */
  leftoverText: string;
  ms: number;
}

/**
 * Runs the CLI (default: registry resolver) against the fake cluster, whose PATH also holds the fake
 * credential helper (test/bin/docker-credential-test).
 */
export async function runPlan(
  cluster: FakeCluster,
  args: string[],
  options: { home?: Home; env?: NodeJS.ProcessEnv } = {},
): Promise<PlanRun> {
  const home = options.home ?? makeHome({ auths: {} });
  const env = {
    ...cluster.env(),
    DOCKER_HOST: inject("dockerHost"),
    DOCKER_CONFIG: home.dockerConfig,
    HOME: home.dir,
    TMPDIR: home.tmp,
    ...options.env,
  };
  const started = Date.now();
  const result = await runCli(args, env);
  const ms = Date.now() - started;
  const leftovers = listFiles(home.tmp);
  const leftoverText = leftovers.map((f) => readFileSync(join(home.tmp, f), "utf8")).join("\n");
  return { ...result, leftovers, leftoverText, ms };
}

function listFiles(dir: string, prefix = ""): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      found.push(`${prefix}${name}/`, ...listFiles(path, `${prefix}${name}/`));
    else found.push(`${prefix}${name}`);
  }
  return found;
}

/** The plan document of a `-o json` run; fails the test with stderr when the run failed. */
export function planOf(run: PlanRun) {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as {
    resolver: string;
    pods: {
      name: string;
      action: string;
      reason: string;
      containers: {
        status: string;
        reason: string;
        runningDigest: string | null;
        latestDigest: string | null;
      }[];
    }[];
  };
}

/** [pod, action, status, reason] rows, for compact assertions. */
export function rows(run: PlanRun): [string, string, string, string][] {
  return planOf(run).pods.map((p) => [p.name, p.action, p.containers[0]!.status, p.containers[0]!.reason]);
}

/** Fails when any secret (or its base64 forms) appears in any of the texts. */
export function expectNoSecrets(texts: Record<string, string>, secrets: string[]): void {
  const forms = secrets.flatMap((s) => [s, Buffer.from(s).toString("base64")]);
  for (const [where, text] of Object.entries(texts)) {
    for (const form of forms) expect(text.includes(form), `secret found in ${where}`).toBe(false);
  }
}

/** Basic-auth user:password pairs as they would appear base64-encoded in a config or header. */
export function basicForms(user: string, password: string): string[] {
  return [password, `${user}:${password}`];
}

/** A docker config directory that logs in to `host` (for pushing test images). */
export function loginConfig(host: string, user: string, password: string): string {
  const dir = tempDir("kau-login-");
  const auth = Buffer.from(`${user}:${password}`).toString("base64");
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { [host]: { auth } } }));
  return dir;
}

export interface TokenRegistry {
  registry: Registry;
  tokens: TokenServer;
  stop(): Promise<void>;
}

/** A real registry with `auth: token`, backed by the test token server. */
export async function startTokenRegistry(options: TokenServerOptions = {}): Promise<TokenRegistry> {
  const tokens = await startTokenServer(options);
  const registry = await startRegistry({
    token: {
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertBundle: tokens.rootCertBundle,
    },
  });
  return {
    registry,
    tokens,
    async stop() {
      await registry.stop();
      await tokens.stop();
    },
  };
}
