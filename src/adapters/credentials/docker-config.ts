/**
 * Where the user's docker config keeps the credential for a registry, looked up as docker does
 * (docker/cli cli/config/configfile/file.go, credentials/file_store.go, native_store.go): one store a
 * registry, `credHelpers[host]`, else `credsStore`, else `auths`, after `$DOCKER_AUTH_CONFIG`'s `auths`; an
 * `auths` key matches exactly or after ConvertToHostname. Pure: reading the file and running helpers are the
 * adapter's job.
 */
import { type Credential, type DockerAuths, keyedCredentials } from "../../core/keyring.js";

/** The parts of ~/.docker/config.json that hold credentials. */
export interface DockerConfigFile {
  auths?: DockerAuths;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/**
 * The one store docker reads a registry's credential from: a helper, with the file's `auths` entry that
 * docker falls back on only when the helper fails (not when it has nothing), or the file's `auths` alone.
 */
export type LocalCredentialStore =
  | {
      kind: "helper";
      helper: string;
      serverAddress: string;
      via: "credHelpers" | "credsStore";
      onFailure: Credential | null;
    }
  | { kind: "auths"; credential: Credential | null };

/** Docker Hub's historical key; every other registry is keyed by host[:port]. */
const dockerHubServerAddress = "https://index.docker.io/v1/";

/** The server address docker stores and asks helpers about for an image's registry domain. */
export function dockerServerAddress(domain: string): string {
  return domain === "docker.io" ? dockerHubServerAddress : domain;
}

/** docker's ConvertToHostname: drops the scheme and everything from the first slash. */
export function convertToHostname(address: string): string {
  const stripped = address.replace(/^https?:\/\//, "");
  return stripped.split("/")[0] ?? stripped;
}

function findKey<T>(map: Record<string, T> | undefined, serverAddress: string): string | undefined {
  if (!map) return undefined;
  if (Object.hasOwn(map, serverAddress)) return serverAddress;
  const host = convertToHostname(serverAddress);
  return Object.keys(map).find((key) => convertToHostname(key) === host);
}

/**
 * The store for a registry, as docker/cli's getConfiguredCredentialStore picks it: `credHelpers[host]` when
 * the key is there (an empty name meaning the file), else `credsStore`, else the file. A helper that answers
 * "not found" leaves docker with no credential: it asks no other store.
 */
export function localCredentialStore(
  config: DockerConfigFile,
  domain: string,
  envAuths?: DockerAuths,
): LocalCredentialStore {
  const serverAddress = dockerServerAddress(domain);
  // docker 28.3 and later look in $DOCKER_AUTH_CONFIG (GitLab CI sets it) before any store.
  const fromEnv = authsCredential(envAuths, serverAddress, "DOCKER_AUTH_CONFIG");
  if (fromEnv) return { kind: "auths", credential: fromEnv };
  const fileCredential = authsCredential(config.auths, serverAddress, "docker config auths");
  const helperKey = findKey(config.credHelpers, serverAddress);
  if (helperKey !== undefined) {
    const helper = config.credHelpers?.[helperKey];
    if (!helper) return { kind: "auths", credential: fileCredential };
    return { kind: "helper", helper, serverAddress, via: "credHelpers", onFailure: fileCredential };
  }
  if (config.credsStore) {
    const helper = config.credsStore;
    return { kind: "helper", helper, serverAddress, via: "credsStore", onFailure: fileCredential };
  }
  return { kind: "auths", credential: fileCredential };
}

function authsCredential(auths: DockerAuths | undefined, serverAddress: string, source: string) {
  const key = findKey(auths, serverAddress);
  const entry = key === undefined ? undefined : auths?.[key];
  const [keyed] = entry ? keyedCredentials({ [serverAddress]: entry }, source) : [];
  return keyed?.credential ?? null;
}

/**
 * A credential from a helper's `get` answer ({"ServerURL","Username","Secret"}). Username `<token>` means
 * the secret is an identity token (docker/cli docs, `docker login`).
 */
export function helperCredential(answer: unknown, source: string): Credential | null {
  const { Username, Secret } = (answer ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof Secret !== "string" || Secret === "") return null;
  if (Username === "<token>") return { identityToken: Secret, source };
  if (typeof Username !== "string" || Username === "") return null;
  return { username: Username, password: Secret, source };
}
