/**
 * Registry credentials from pull secrets, matched to an image the way the kubelet's keyring does
 * (pkg/credentialprovider/keyring.go): keys are host[:port][/path] as written with the scheme and /v1/ or
 * /v2/ removed, compared case-sensitively, `*.` globs match one label each, more specific keys come first,
 * every match is tried, and Docker Hub's key (`https://index.docker.io/v1/`) serves docker.io images (and,
 * unlike the kubelet's, no other registry: see isDockerHub).
 */

/** One registry credential. Lives in memory only. */
export interface Credential {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
  /**
   * Where it came from, for messages: `secret ns/name`, `docker config`, `helper ecr-login`. Never
   * the secret.
   */
  source: string;
}

/** A credential under its keyring key (host[:port][/path]). */
export interface KeyedCredential {
  key: string;
  credential: Credential;
}

/** Entries of a docker config `auths` map (or a legacy .dockercfg), as found in files and secrets. */
export type DockerAuths = Record<
  string,
  {
    auth?: string;
    username?: string;
    password?: string;
    identitytoken?: string;
    registrytoken?: string;
  }
>;

const hubHost = "index.docker.io";

/** Reads every usable entry of one config; `source` names it in messages. */
export function keyedCredentials(auths: DockerAuths, source: string): KeyedCredential[] {
  const entries: KeyedCredential[] = [];
  for (const [location, entry] of Object.entries(auths)) {
    const key = keyringKey(location);
    const credential = key === null ? null : credentialOf(entry, source);
    if (key !== null && credential) entries.push({ key, credential });
  }
  return entries;
}

/** Credentials in the kubelet's lookup order; earlier entries rank first for the same key. */
export class Keyring {
  constructor(private readonly entries: readonly KeyedCredential[]) {}

  /**
   * Credentials for an image repository (`docker.io/library/nginx`), most specific key first. One secret
   * copied into every namespace (a reflector's, Kyverno's) is one credential: each copy would be asked
   * in turn for the same answer.
   */
  lookup(repository: string): Credential[] {
    const keys = [...new Set(this.entries.map((e) => e.key))].sort().reverse();
    const matches: Credential[] = [];
    for (const key of keys) {
      if (!keyMatches(key, repository)) continue;
      for (const e of this.entries) if (e.key === key) matches.push(e.credential);
    }
    if (matches.length > 0 || !isDockerHub(repository)) return firstOfEach(matches);
    return firstOfEach(this.entries.filter((e) => e.key === hubHost).map((e) => e.credential));
  }
}

/** The credentials with those that repeat an earlier one's secrets left out (the first names its source). */
function firstOfEach(credentials: readonly Credential[]): Credential[] {
  const seen = new Set<string>();
  return credentials.filter(({ username, password, identityToken, registryToken }) => {
    const secrets = JSON.stringify([username, password, identityToken, registryToken]);
    if (seen.has(secrets)) return false;
    seen.add(secrets);
    return true;
  });
}

/** The keyring key of a config location: scheme and a leading /v1/ or /v2/ removed. */
export function keyringKey(location: string): string | null {
  const withScheme = /^https?:\/\//.test(location) ? location : `https://${location}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  let path = url.pathname;
  if (path.startsWith("/v2/") || path.startsWith("/v1/")) path = path.slice(3);
  // The host as written: URL lower-cases it and drops a port that is its scheme's default (reg.io:443),
  // where the kubelet's url.Parse keeps both, and its keyring then compares hosts case-sensitively.
  const authority = withScheme.replace(/^https?:\/\//, "").split(/[/?#]/)[0]!;
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  return path.length > 0 && path !== "/" ? host + path : host;
}

function keyMatches(key: string, repository: string): boolean {
  const [keyHost, keyPath] = splitHostPath(key);
  const [imageHost, imagePath] = splitHostPath(repository);
  const [keyName, keyPort] = splitPort(keyHost);
  const [imageName, imagePort] = splitPort(imageHost);
  if (keyPort !== imagePort) return false;
  if (!imagePath.startsWith(keyPath)) return false;
  const keyLabels = keyName.split(".");
  const imageLabels = imageName.split(".");
  if (keyLabels.length !== imageLabels.length) return false;
  return keyLabels.every((label, i) => globMatch(label, imageLabels[i] ?? ""));
}

function splitHostPath(location: string): [string, string] {
  const slash = location.indexOf("/");
  return slash === -1 ? [location, ""] : [location.slice(0, slash), location.slice(slash)];
}

function splitPort(host: string): [string, string] {
  const m = /^(.*):(\d+)$/.exec(host);
  return m ? [m[1]!, m[2]!] : [host, ""];
}

/** filepath.Match for one label: `*` matches any run of characters, `?` one. */
function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(value);
}

/**
 * Docker Hub images. The repository is normalized, so its registry is named (`docker.io/library/nginx`).
 * The kubelet's isDefaultRegistryMatch sees the image as written and also takes `localhost/app`, or a host
 * of one label (`Registry/app`), for Hub's, sending Hub's credential there: not done here.
 */
function isDockerHub(repository: string): boolean {
  const domain = repository.split("/")[0];
  return domain === "docker.io" || domain === hubHost;
}

/**
 * The credential of one entry; null when it has none usable (or is not an entry at all: secrets
 * are anyone's).
 */
function credentialOf(entry: unknown, source: string): Credential | null {
  if (entry === null || typeof entry !== "object") return null;
  const field = (name: keyof DockerAuths[string]) => {
    const value = (entry as Record<string, unknown>)[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  let username = field("username");
  let password = field("password");
  const auth = field("auth");
  if (auth) {
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const identityToken = field("identitytoken");
  const registryToken = field("registrytoken");
  const credential: Credential = { source };
  if (username) credential.username = username;
  if (password) credential.password = password;
  if (identityToken) credential.identityToken = identityToken;
  if (registryToken) credential.registryToken = registryToken;
  const usable = (username && password) || identityToken || registryToken;
  return usable ? credential : null;
}

/** A pull secret as the kubelet reads it: its auths, or why it cannot read it. */
export type PullSecretRead = { auths: DockerAuths } | { unreadable: string };

/**
 * Reads a pull secret's data (base64, as `kubectl get secret -o json` prints it) as the kubelet's keyring
 * does, keeping only the fields it reads: a token it would not pull with must not decide a plan either.
 * Null for a secret of another type or with no data, which the kubelet passes over. Content it cannot read
 * (not JSON, a field of the wrong type, an `auth` that is not base64 of user:password) fails the keyring the
 * kubelet makes for the pod, and so every pull of a pod naming the secret: `unreadable` says why.
 */
export function pullSecretAuths(secret: {
  type?: string;
  data?: Record<string, string>;
}): PullSecretRead | null {
  const key =
    secret.type === "kubernetes.io/dockerconfigjson"
      ? ".dockerconfigjson"
      : secret.type === "kubernetes.io/dockercfg"
        ? ".dockercfg"
        : null;
  const data = key === null ? undefined : secret.data?.[key];
  if (data === undefined || data === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data, "base64").toString("utf8"));
  } catch {
    return { unreadable: `its ${key} is not JSON` };
  }
  try {
    if (key === ".dockercfg") return { auths: kubeletEntries(parsed) };
    if (parsed === null) return { auths: {} };
    if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Unreadable("not an object");
    const object = parsed as Record<string, unknown>;
    // The kubelet reads HttpHeaders too (a map of strings): one of another type fails the whole secret.
    const headers = memberOf(object, "HttpHeaders");
    if (headers !== undefined && headers !== null && !isStringMap(headers)) {
      throw new Unreadable("HttpHeaders is not an object of strings");
    }
    return { auths: kubeletEntries(memberOf(object, "auths")) };
  } catch (error) {
    if (!(error instanceof Unreadable)) throw error;
    return { unreadable: `its ${key}: ${error.message}` };
  }
}

class Unreadable extends Error {}

/** A member by name, as Go's encoding/json finds it: its own spelling first, else in any case. */
function memberOf(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name];
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

/** Whether Go would read `value` into a map[string]string (a null value reads as ""). */
function isStringMap(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => v === null || typeof v === "string");
}

/** The kubelet's DockerConfig: registries to entries, each with the fields DockerConfigEntry reads. */
function kubeletEntries(value: unknown): DockerAuths {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new Unreadable("auths is not an object");
  const auths: DockerAuths = {};
  for (const [location, entry] of Object.entries(value)) {
    if (entry === null) continue;
    if (typeof entry !== "object" || Array.isArray(entry)) {
      throw new Unreadable(`the entry of ${entryName(location)} is not an object`);
    }
    const fields: Record<string, string> = {};
    for (const name of ["auth", "username", "password", "email"]) {
      const field = memberOf(entry as Record<string, unknown>, name);
      if (field === undefined || field === null) continue;
      if (typeof field !== "string")
        throw new Unreadable(`${name} of ${entryName(location)} is not a string`);
      fields[name] = field;
    }
    if (fields["auth"] && !isBasicAuth(fields["auth"])) {
      throw new Unreadable(`auth of ${entryName(location)} is not base64 of username:password`);
    }
    auths[location] = { auth: fields["auth"], username: fields["username"], password: fields["password"] };
  }
  return auths;
}

/**
 * An entry as a reason names it: by its key in the keyring, as the kubelet reads it, from what follows any
 * user info written in it (`https://user:token@host`, or without a scheme, where a `/` in the password
 * would end the host before its `@`); never as written.
 */
function entryName(location: string): string {
  const withoutUser = location.slice(location.lastIndexOf("@") + 1);
  return keyringKey(withoutUser) ?? withoutUser;
}

/** Whether `auth` decodes as the kubelet decodes it (padding as written) to text with a colon. */
function isBasicAuth(auth: string): boolean {
  return decodedBase64(auth, "as-written")?.includes(":") ?? false;
}

/**
 * What base64 `auth` decodes to as Go's decoders read it, which pass over line breaks and refuse anything
 * else; null where they refuse it. `padding`: required (docker/cli's StdEncoding), or as written (the
 * kubelet's: padded when it ends with `=`, else unpadded).
 */
export function decodedBase64(auth: string, padding: "required" | "as-written"): string | null {
  const text = auth.replace(/[\r\n]/g, "");
  const padded = padding === "required" || auth.trim().endsWith("=");
  const valid = padded
    ? /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0
    : /^[A-Za-z0-9+/]*$/.test(text) && text.length % 4 !== 1;
  return valid ? Buffer.from(text, "base64").toString("utf8") : null;
}
