/**
 * Image references, parsed and normalized the way distribution/reference (and so the kubelet,
 * containerd and docker) read them: `nginx` is `docker.io/library/nginx:latest`.
 */
import { isLoopback } from "./ip-address.js";

/** A parsed, normalized image reference. */
export interface ImageRef {
  /** Registry host as written, with port: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/nginx`. */
  readonly path: string;
  /** Tag, or null when the reference is pinned by digest only. */
  readonly tag: string | null;
  /** `sha256:…` when pinned by digest. */
  readonly digest: string | null;
}

const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainRe = new RegExp(`^${host}(?::[0-9]+)?$`);
const pathRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const hexLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

const dockerHub = "docker.io";
/** The whole name, registry and path, as the kubelet counts it (distribution's NameTotalLengthMax). */
const nameMaxLength = 255;

/** True for a registry host as image references name one: `host[:port]`, `[ipv6]:port`, `ci_cache.lan`. */
export function isRegistryHost(value: string): boolean {
  return domainRe.test(value) || isPathHost(value);
}

const pathComponentRe = new RegExp(`^${pathComponent}$`);

/**
 * A dotted first part that is no host name (`ci_cache.example.com`, without a port): distribution/reference
 * takes it for the first of the path's parts, and containerd pulls from it as a host.
 */
function isPathHost(value: string): boolean {
  return value.includes(".") && pathComponentRe.test(value);
}

/** Thrown for a reference the kubelet would refuse too; the message is the reason shown to users. */
export class InvalidImageRefError extends Error {}

/** True when `value` is a well-formed `algorithm:hex` digest (sha256 needs exactly 64 lowercase hex). */
export function isDigest(value: string): boolean {
  if (!digestRe.test(value)) return false;
  const [algorithm, hex] = value.split(":") as [string, string];
  const length = hexLengths[algorithm];
  if (length === undefined) return true;
  return hex.length === length && hex === hex.toLowerCase();
}

/** Parses and normalizes a reference; throws InvalidImageRefError with the reason. */
export function parseImageRef(input: string): ImageRef {
  if (input === "") throw new InvalidImageRefError("empty image reference");
  if (/^[a-f0-9]{64}$/.test(input)) {
    throw new InvalidImageRefError(`${input} is an image ID, not a repository name`);
  }

  let rest = input;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new InvalidImageRefError(`invalid digest "${digest}"`);
    // The grammar takes any algorithm name; the kubelet (go-digest) refuses the ones it cannot verify.
    const algorithm = digest.slice(0, digest.indexOf(":"));
    if (hexLengths[algorithm] === undefined) {
      throw new InvalidImageRefError(`unsupported digest algorithm "${algorithm}"`);
    }
  }

  // A tag is the part after the last colon that follows the last slash (a colon before it is a port).
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagRe.test(tag)) throw new InvalidImageRefError(`invalid tag "${tag}"`);
  }

  const { domain, path } = splitDomain(rest);
  if (!isRegistryHost(domain)) throw new InvalidImageRefError(`invalid registry host "${domain}"`);
  if (path.toLowerCase() !== path) {
    throw new InvalidImageRefError(`repository name "${path}" must be lowercase`);
  }
  if (!pathRe.test(path)) throw new InvalidImageRefError(`invalid repository name "${path}"`);
  // Only the path counts, as in distribution/reference (v0.6.0, which the kubelet and containerd use): the
  // whole name where the host is the path's first part to it.
  const counted = domainRe.test(domain) ? path.length : domain.length + 1 + path.length;
  if (counted > nameMaxLength) {
    throw new InvalidImageRefError(`repository name must not be more than ${nameMaxLength} characters`);
  }

  if (tag === null && digest === null) tag = "latest";
  // With both, the digest decides what runs; the tag is only a label (as containerd's ParseDockerRef).
  if (digest !== null) tag = null;
  return { domain, path, tag, digest };
}

/** Like parseImageRef, but for a repository name alone (no tag or digest expected). */
export function parseRepository(input: string): string {
  const ref = parseImageRef(input);
  return repositoryOf(ref);
}

function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const looksLikeHost =
    slash !== -1 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let domain = looksLikeHost ? first : dockerHub;
  let path = looksLikeHost ? name.slice(slash + 1) : name;
  if (domain === "index.docker.io") domain = dockerHub;
  if (domain === dockerHub && !path.includes("/")) path = `library/${path}`;
  return { domain, path };
}

/** `docker.io/library/nginx` */
export function repositoryOf(ref: ImageRef): string {
  return `${ref.domain}/${ref.path}`;
}

/** The canonical string: `docker.io/library/nginx:latest` or `repo@sha256:…`. One per unique image. */
export function formatImageRef(ref: ImageRef): string {
  if (ref.digest !== null) return `${repositoryOf(ref)}@${ref.digest}`;
  return `${repositoryOf(ref)}:${ref.tag}`;
}

/** The host to talk to for the registry API; Docker Hub's API does not live at docker.io. */
export function registryApiHost(ref: Pick<ImageRef, "domain">): string {
  return ref.domain === dockerHub ? "registry-1.docker.io" : ref.domain;
}

/** True for hosts (`HOST[:PORT]`) docker and containerd reach over plain http without configuration. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.startsWith("[")
    ? hostPort.slice(1, hostPort.indexOf("]"))
    : (hostPort.split(":")[0] ?? "");
  return isLoopback(host);
}
