/**
 * Where the user's docker config keeps the credential for a registry, looked up as docker does
 * (docker/cli cli/config/configfile/file.go, credentials/file_store.go): `credHelpers[host]`, then
 * `credsStore`, then `auths`; an `auths` key matches exactly or after ConvertToHostname. Pure: reading the
 * file and running helpers are the adapter's job.
 */
import { type Credential, type DockerAuths, keyedCredentials } from "../../core/keyring.js";

/** The parts of ~/.docker/config.json that hold credentials. */
export interface DockerConfigFile {
  auths?: DockerAuths;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** One place to look, in order. */
export type LocalCredentialSource =
  | { kind: "helper"; helper: string; serverAddress: string; via: "credHelpers" | "credsStore" }
  | { kind: "auths"; credential: Credential };

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

/** The places to ask, most specific first; each helper appears once. */
export function localCredentialSources(config: DockerConfigFile, domain: string): LocalCredentialSource[] {
  const serverAddress = dockerServerAddress(domain);
  const sources: LocalCredentialSource[] = [];
  const helperKey = findKey(config.credHelpers, serverAddress);
  const helper = helperKey === undefined ? undefined : config.credHelpers?.[helperKey];
  if (helper) sources.push({ kind: "helper", helper, serverAddress, via: "credHelpers" });
  if (config.credsStore && config.credsStore !== helper) {
    sources.push({ kind: "helper", helper: config.credsStore, serverAddress, via: "credsStore" });
  }
  const authKey = findKey(config.auths, serverAddress);
  const entry = authKey === undefined ? undefined : config.auths?.[authKey];
  if (entry) {
    const [keyed] = keyedCredentials({ [serverAddress]: entry }, "docker config auths");
    if (keyed) sources.push({ kind: "auths", credential: keyed.credential });
  }
  return sources;
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
