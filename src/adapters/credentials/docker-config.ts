/**
 * Where the user's docker config keeps the credential for a registry, looked up as docker does
 * (docker/cli cli/config/configfile/file.go, credentials/file_store.go, native_store.go): one store a
 * registry, `credHelpers[host]`, else `credsStore`, else `auths`, after `$DOCKER_AUTH_CONFIG`'s `auths`. The
 * keys are docker's server address (`https://index.docker.io/v1/` for Docker Hub, else host[:port]): only
 * the file's `auths` also takes a key whose ConvertToHostname is that address (a legacy `https://host/`).
 * Pure: reading the file and running helpers are the adapter's job.
 */
import { type Credential, type DockerAuths, decodedBase64, keyedCredentials } from "../../core/keyring.js";

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

/** The `auths` key docker's file store reads for a server address, as its Get does. */
function fileStoreKey(auths: DockerAuths | undefined, serverAddress: string): string | undefined {
  if (!auths) return undefined;
  if (Object.hasOwn(auths, serverAddress)) return serverAddress;
  return Object.keys(auths).find((key) => convertToHostname(key) === serverAddress);
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
  // docker 28.3 and later look in $DOCKER_AUTH_CONFIG (GitLab CI sets it) before any store, by its exact
  // key and its `auth` alone (the adapter drops a variable docker would not read: envAuthsAsDockerReads).
  const envEntry = envAuths && Object.hasOwn(envAuths, serverAddress) ? envAuths[serverAddress] : undefined;
  const fromEnv = envEntry && credentialIn({ auth: envEntry.auth }, serverAddress, "DOCKER_AUTH_CONFIG");
  if (fromEnv) return { kind: "auths", credential: fromEnv };
  const fileKey = fileStoreKey(config.auths, serverAddress);
  const fileEntry = fileKey === undefined ? undefined : config.auths?.[fileKey];
  const fileCredential = fileEntry ? credentialIn(fileEntry, serverAddress, "docker config auths") : null;
  if (config.credHelpers && Object.hasOwn(config.credHelpers, serverAddress)) {
    const helper = config.credHelpers[serverAddress];
    if (!helper) return { kind: "auths", credential: fileCredential };
    return { kind: "helper", helper, serverAddress, via: "credHelpers", onFailure: fileCredential };
  }
  if (config.credsStore) {
    const helper = config.credsStore;
    return { kind: "helper", helper, serverAddress, via: "credsStore", onFailure: fileCredential };
  }
  return { kind: "auths", credential: fileCredential };
}

function credentialIn(entry: DockerAuths[string], serverAddress: string, source: string) {
  const [keyed] = keyedCredentials({ [serverAddress]: entry }, source);
  return keyed?.credential ?? null;
}

/**
 * `$DOCKER_AUTH_CONFIG`, parsed, as docker 28.3 and later read it (cli/config/configfile's parseEnvConfig):
 * `auths` alone, each entry an `auth` alone (Go's JSON matches both names in any case) of user:password;
 * anything else, and docker reads none of it (null).
 */
export function envAuthsAsDockerReads(parsed: unknown): DockerAuths | null {
  const top = objectEntries(parsed);
  if (!top || top.some(([key]) => key.toLowerCase() !== "auths")) return null;
  const auths = objectEntries(top.at(-1)?.[1] ?? {});
  if (!auths) return null;
  const read: DockerAuths = {};
  for (const [address, entry] of auths) {
    const fields = objectEntries(entry);
    if (!fields || fields.some(([key]) => key.toLowerCase() !== "auth")) return null;
    const auth = fields.at(-1)?.[1];
    if (typeof auth !== "string" || !isUserPassword(auth)) return null;
    read[address] = { auth };
  }
  return read;
}

function objectEntries(value: unknown): [string, unknown][] | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  return Object.entries(value);
}

/** Go's base64.StdEncoding (padded; line breaks skipped, as `base64` wraps a long token) of user:password. */
function isUserPassword(auth: string): boolean {
  return (decodedBase64(auth, "required")?.indexOf(":") ?? -1) > 0;
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
