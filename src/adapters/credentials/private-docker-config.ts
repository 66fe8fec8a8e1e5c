/**
 * Throwaway docker config directories, so docker never needs `docker login`: one credential each, or none.
 * Each keeps the user's docker context (colima, rootless, Docker Desktop, ssh): a bare `--config` directory
 * would send docker to the default socket, another engine than the one `docker version` checked and
 * `docker image inspect` reads.
 */
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Credential, type DockerAuths, keyedCredentials } from "../../core/keyring.js";
import { createPrivateDir, writePrivateFile } from "../private-dir.js";
import { dockerServerAddress } from "./docker-config.js";
import { credentialSecrets } from "./secrets.js";

/** Where the user's docker config lives, and the context it names (none: the default engine). */
export interface DockerEngineChoice {
  configDir: string;
  currentContext?: string;
  /** Its `HttpHeaders`, which docker sends the engine on every request (a gateway before it may want one). */
  httpHeaders?: Record<string, string>;
  /** The secrets of its `auths`, which docker may quote back in an error: blanked there. */
  authSecrets?: readonly string[];
}

/**
 * The user's choice of engine, from `$DOCKER_CONFIG` (or ~/.docker) config.json; an unreadable one
 * names none.
 */
export function userDockerEngine(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): DockerEngineChoice {
  // Absolute: the private config's link to its context store must not resolve inside the temp dir.
  const configDir = resolve(env["DOCKER_CONFIG"] || join(home, ".docker"));
  const config = readJsonObject(() => readFileSync(join(configDir, "config.json"), "utf8"));
  const context = config?.["currentContext"];
  const httpHeaders = stringValues(config?.["HttpHeaders"]);
  // docker 28.3 and later authenticate from $DOCKER_AUTH_CONFIG (GitLab CI sets it) before config.json.
  const authSecrets = [config, readJsonObject(() => env["DOCKER_AUTH_CONFIG"])].flatMap((source) =>
    secretsOfAuths(source?.["auths"]),
  );
  return {
    configDir,
    ...(typeof context === "string" && context !== "" && context !== "default"
      ? { currentContext: context }
      : {}),
    ...(httpHeaders ? { httpHeaders } : {}),
    ...(authSecrets.length > 0 ? { authSecrets } : {}),
  };
}

/** An object's string values, as docker reads `HttpHeaders` (a map of strings); undefined when none. */
function stringValues(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const strings = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === "string",
  );
  return strings.length > 0 ? Object.fromEntries(strings) : undefined;
}

/** The JSON object a text holds; undefined when there is none, or it is not an object. */
function readJsonObject(read: () => string | undefined): Record<string, unknown> | undefined {
  try {
    const text = read();
    const value: unknown = text === undefined ? undefined : JSON.parse(text);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function secretsOfAuths(auths: unknown): string[] {
  if (auths === null || typeof auths !== "object") return [];
  return keyedCredentials(auths as DockerAuths, "docker config auths")
    .flatMap(({ credential }) => credentialSecrets(credential))
    .filter((secret) => secret !== undefined);
}

/** The config.json content for one credential on one registry. */
function dockerConfigJson(domain: string, credential: Credential): Record<string, unknown> {
  const entry: Record<string, string> = {};
  if (credential.username !== undefined && credential.password !== undefined) {
    entry["auth"] = Buffer.from(`${credential.username}:${credential.password}`).toString("base64");
  }
  if (credential.identityToken) entry["identitytoken"] = credential.identityToken;
  if (credential.registryToken) entry["registrytoken"] = credential.registryToken;
  return { auths: { [dockerServerAddress(domain)]: entry } };
}

/** Writes the config into a new private directory (removed at exit) and returns the directory. */
export function writeDockerConfig(
  domain: string,
  credential: Credential,
  engine: DockerEngineChoice,
): string {
  return privateDockerConfig(dockerConfigJson(domain, credential), engine);
}

/**
 * A private config with no credentials, so docker does not read the user's. Not quite empty: docker
 * takes a config with no auths, helpers or store as a cue to use the platform's default store (the
 * macOS keychain, wincred, pass), so it names a host that cannot exist (`.invalid`).
 */
export function writeEmptyDockerConfig(engine: DockerEngineChoice): string {
  return privateDockerConfig({ auths: { "kubectl-autoupdate.invalid": {} } }, engine);
}

/**
 * The user's engine: its context named in config.json, their context store linked (not copied: TLS material
 * stays where it is), also for a context named by $DOCKER_CONTEXT, and the headers docker sends it.
 */
function privateDockerConfig(config: Record<string, unknown>, engine: DockerEngineChoice): string {
  const dir = createPrivateDir("kubectl-autoupdate-docker");
  const contexts = join(engine.configDir, "contexts");
  // A junction on Windows: a directory symlink there needs an administrator or developer mode.
  if (existsSync(contexts)) {
    try {
      symlinkSync(contexts, join(dir, "contexts"), process.platform === "win32" ? "junction" : "dir");
    } catch {
      // Without the store docker uses its default engine; the run goes on.
    }
  }
  const json = {
    ...config,
    ...(engine.currentContext ? { currentContext: engine.currentContext } : {}),
    ...(engine.httpHeaders ? { HttpHeaders: engine.httpHeaders } : {}),
  };
  writePrivateFile(dir, "config.json", `${JSON.stringify(json)}\n`);
  return dir;
}
