/**
 * "Pulling" an image as a node's runtime does, minus the layers: resolve the reference in the registry
 * (GET with the OCI/Docker Accept list), pick the node's platform out of an index, read the platform
 * manifest for the image's config digest (its ID in every runtime's store). Credentials come from the pod's
 * pull secrets, matched to the image the way the kubelet's keyring does.
 */
import { createHash } from "node:crypto";
import { apiHost, type ImageName, isLoopback, onThisMachine } from "./image-name.js";

const indexTypes = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];
const manifestTypes = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];
const accept = [...indexTypes, ...manifestTypes].join(", ");

export interface Pulled {
  /** What the reference resolved to: the index digest for a multi-arch tag, else the manifest's. */
  digest: string;
  /** The manifest of the node's platform (equal to `digest` for a single-platform tag). */
  platformDigest: string;
  /** The config digest: the image ID in containerd's, CRI-O's and docker's stores. */
  configDigest: string;
  isIndex: boolean;
}

/** A user name and password from a pull secret. */
export interface RegistryCredential {
  username: string;
  password: string;
  /** Where it came from, e.g. `secret ns/name`. */
  source: string;
}

/** A failed pull; `message` reads like the kubelet's event text. */
export class PullError extends Error {}

export interface PullOptions {
  arch: string;
  os?: string;
  /** Hosts other than loopback that are spoken to over plain HTTP. */
  insecure?: readonly string[];
  timeoutMs?: number;
}

/**
 * Pulls `name` with each matching credential in turn (as the kubelet does), or anonymously when none
 * matches. Throws PullError with the last failure.
 */
export async function pullImage(
  name: ImageName,
  credentials: readonly RegistryCredential[],
  options: PullOptions,
): Promise<Pulled> {
  const attempts: (RegistryCredential | null)[] = credentials.length > 0 ? [...credentials] : [null];
  let last: unknown;
  for (const credential of attempts) {
    try {
      return await pullWith(name, credential, options);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

async function pullWith(
  name: ImageName,
  credential: RegistryCredential | null,
  options: PullOptions,
): Promise<Pulled> {
  const session = new Session(name, credential, options);
  const reference = name.digest ?? name.tag!;
  const top = await session.manifest(reference);
  if (name.digest !== null && top.digest !== name.digest) {
    throw new PullError(`manifest ${reference} has digest ${top.digest}`);
  }
  if (indexTypes.includes(top.mediaType)) {
    const index = JSON.parse(top.body) as {
      manifests: { digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }[];
    };
    const os = options.os ?? "linux";
    const child = index.manifests.find(
      (m) => (m.platform?.os ?? os) === os && m.platform?.architecture === options.arch,
    );
    if (!child) {
      throw new PullError(
        `no match for platform in manifest: no manifest for ${os}/${options.arch} in the index`,
      );
    }
    const platform = await session.manifest(child.digest);
    return {
      digest: top.digest,
      platformDigest: platform.digest,
      configDigest: configOf(platform.body),
      isIndex: true,
    };
  }
  return { digest: top.digest, platformDigest: top.digest, configDigest: configOf(top.body), isIndex: false };
}

/** A pod naming a registry elsewhere fails to pull, saying so, rather than send traffic off this machine. */
function refuseOffMachine(url: string): void {
  const { host } = new URL(url);
  if (!onThisMachine(host)) {
    throw new PullError(`the simulated kubelet pulls only from this machine, not from ${host}: ${url}`);
  }
}

function configOf(body: string): string {
  const digest = (JSON.parse(body) as { config?: { digest?: string } }).config?.digest;
  if (!digest) throw new PullError("manifest has no config");
  return digest;
}

/** One repository on one registry, with the credential and any bearer token it earned. */
class Session {
  private readonly base: string;
  private authorization: string | null = null;

  constructor(
    private readonly name: ImageName,
    private readonly credential: RegistryCredential | null,
    private readonly options: PullOptions,
  ) {
    const host = apiHost(name.domain);
    const scheme = isLoopback(host) || options.insecure?.includes(host) ? "http" : "https";
    this.base = `${scheme}://${host}/v2/${name.path}`;
  }

  async manifest(reference: string): Promise<{ digest: string; mediaType: string; body: string }> {
    const url = `${this.base}/manifests/${reference}`;
    let response = await this.get(url);
    if (response.status === 401 && this.authorization === null) {
      this.authorization = await this.answerChallenge(response.headers.get("www-authenticate") ?? "");
      if (this.authorization !== null) response = await this.get(url);
    }
    if (response.status === 401 || response.status === 403) {
      throw new PullError(
        `failed to resolve reference "${this.ref(reference)}": pull access denied, repository does not exist or may require authorization: ${response.status} ${response.statusText}`,
      );
    }
    if (response.status === 404) {
      throw new PullError(
        `failed to resolve reference "${this.ref(reference)}": ${this.ref(reference)}: not found`,
      );
    }
    if (response.status !== 200) {
      throw new PullError(
        `failed to resolve reference "${this.ref(reference)}": unexpected status ${response.status}`,
      );
    }
    const body = Buffer.from(await response.arrayBuffer());
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const header = response.headers.get("docker-content-digest");
    if (header && header !== digest)
      throw new PullError(`registry sent digest ${header} for content ${digest}`);
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
    return { digest, mediaType, body: body.toString("utf8") };
  }

  private ref(reference: string): string {
    return `${this.name.domain}/${this.name.path}${/^sha256:/.test(reference) ? "@" : ":"}${reference}`;
  }

  private async get(url: string): Promise<Response> {
    refuseOffMachine(url);
    try {
      return await fetch(url, {
        headers: { Accept: accept, ...(this.authorization ? { Authorization: this.authorization } : {}) },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      throw new PullError(`failed to do request: GET ${url}: ${(error as Error).message}`);
    }
  }

  /**
   * Basic: send the credential (none: stay unauthorized). Bearer: fetch a token from the realm (with Basic
   * if we have a credential, else anonymously).
   */
  private async answerChallenge(header: string): Promise<string | null> {
    const basic = this.credential
      ? `Basic ${Buffer.from(`${this.credential.username}:${this.credential.password}`).toString("base64")}`
      : null;
    const scheme = header.split(" ")[0]!.toLowerCase();
    if (scheme === "basic") {
      return basic;
    }
    if (scheme !== "bearer") throw new PullError(`unsupported WWW-Authenticate "${header}"`);
    const params = Object.fromEntries(
      [...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]),
    );
    if (!params["realm"]) throw new PullError(`bearer challenge without realm: "${header}"`);
    const tokenUrl = new URL(params["realm"]);
    refuseOffMachine(tokenUrl.href);
    if (params["service"]) tokenUrl.searchParams.set("service", params["service"]);
    tokenUrl.searchParams.set("scope", params["scope"] ?? `repository:${this.name.path}:pull`);
    const answer = await fetch(tokenUrl, {
      headers: basic ? { Authorization: basic } : {},
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    if (answer.status !== 200)
      throw new PullError(`failed to fetch token from ${tokenUrl.origin}: ${answer.status}`);
    const json = (await answer.json()) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new PullError("token endpoint returned no token");
    return `Bearer ${token}`;
  }
}

/** The kubelet's keyring, reduced: the credentials of these pull secrets whose key matches the image. */
export function matchingCredentials(
  secrets: readonly { source: string; type?: string; data?: Record<string, string> }[],
  name: ImageName,
): RegistryCredential[] {
  const matches: { length: number; credential: RegistryCredential }[] = [];
  for (const secret of secrets) {
    for (const [key, entry] of Object.entries(authsOf(secret))) {
      const keyed = normalizeKey(key);
      if (!keyed || !hostMatches(keyed.host, name.domain)) continue;
      if (keyed.path !== "" && !`${name.path}/`.startsWith(`${keyed.path}/`)) continue;
      const credential = credentialOf(entry, secret.source);
      if (credential) matches.push({ length: key.length, credential });
    }
  }
  // Longest key first; every match is tried in turn.
  return matches.sort((a, b) => b.length - a.length).map((m) => m.credential);
}

type AuthEntry = { auth?: string; username?: string; password?: string };

function authsOf(secret: { type?: string; data?: Record<string, string> }): Record<string, AuthEntry> {
  const decode = (key: string) => {
    const value = secret.data?.[key];
    return value === undefined ? undefined : JSON.parse(Buffer.from(value, "base64").toString("utf8"));
  };
  try {
    if (secret.type === "kubernetes.io/dockerconfigjson") return decode(".dockerconfigjson")?.auths ?? {};
    if (secret.type === "kubernetes.io/dockercfg") return decode(".dockercfg") ?? {};
  } catch {}
  return {};
}

function credentialOf(entry: AuthEntry, source: string): RegistryCredential | null {
  if (entry.username !== undefined && entry.password !== undefined) {
    return { username: entry.username, password: entry.password, source };
  }
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon !== -1)
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  return null;
}

/** `https://host:5000/v1/` → host `host:5000`, path ``; Docker Hub's keys → `docker.io`. */
function normalizeKey(key: string): { host: string; path: string } | null {
  const bare = key
    .replace(/^[a-z]+:\/\//, "")
    .replace(/\/+$/, "")
    .replace(/\/v[12]$/, "");
  if (bare === "") return null;
  const slash = bare.indexOf("/");
  let host = slash === -1 ? bare : bare.slice(0, slash);
  const path = slash === -1 ? "" : bare.slice(slash + 1);
  if (host === "index.docker.io" || host === "registry-1.docker.io") host = "docker.io";
  return { host, path };
}

/** Exact host[:port], or `*.` globs per label (the kubelet's URLsMatch). */
function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const [pHost, pPort = ""] = pattern.split(/:(?=\d+$)/);
  const [hHost, hPort = ""] = host.split(/:(?=\d+$)/);
  if (pPort !== hPort) return false;
  const p = pHost!.split(".");
  const h = hHost!.split(".");
  return (
    p.length === h.length &&
    p.every(
      (label, i) =>
        label === h[i] ||
        (label.startsWith("*") && new RegExp(`^${label.replace(/\*/g, ".*")}$`).test(h[i]!)),
    )
  );
}
