/**
 * Resolves tags by asking the registry API, without pulling: one `HEAD` per unique reference reads the
 * tag's digest (Docker-Content-Digest) and whether it is an index (Content-Type: a hint, until a manifest
 * read says what it is). Manifests are read by digest only when the pipeline needs them, and their bytes
 * are checked against the digest. Registry trouble of any kind is `{ ok: false, reason }`, never an
 * exception and never a guess.
 */
import { createHash } from "node:crypto";
import { formatImageRef, type ImageRef, isDigest, repositoryOf } from "../../core/image-ref.js";
import type { Credential } from "../../core/keyring.js";
import { configPlatform, describeConfig, isIndexMediaType, readManifest } from "../../core/manifest.js";
import type { ResolverName } from "../../core/plan.js";
import type { ProxySettings } from "../../core/proxy.js";
import type { ImageDescription, ManifestInfo, TagResolution } from "../../core/resolution.js";
import { ContentReads } from "../../util/content-reads.js";
import { fingerprint } from "../credentials/secrets.js";
import { createHttpFetch } from "../http/http-fetch.js";
import type { Resolver } from "../resolver.js";
import { Authenticator, detailOf } from "./auth.js";
import { type ManifestAnswer, RegistryClient } from "./client.js";
import { rateLimitNote } from "./rate-limit.js";
import { RequestBudget, RequestBudgetSpentError } from "./request-budget.js";
import { defaultRetryPolicy, type RetryPolicy } from "./retry-policy.js";
import { TokenCache } from "./token-cache.js";
import { type RequestStats, Transport, type TransportOptions } from "./transport.js";

/** How the registry resolver reaches registries. */
export interface RegistryResolverOptions {
  /** Hosts reached over plain http: loopback and --insecure-registry. */
  isInsecure: (host: string) => boolean;
  /** Proxies to go through (from the environment); direct when absent. */
  proxy?: ProxySettings;
  /** Per request. */
  timeoutMs: number;
  retry?: RetryPolicy;
  /** Requests in flight at once, overall and per registry host. */
  maxConcurrent?: number;
  maxConcurrentPerHost?: number;
  /** --max-requests: requests the run may send to registries and token services; unbounded when absent. */
  maxRequests?: number;
  /** --verbose lines: every request, the request counts, the notes. */
  log?: (line: string) => void;
  /** Also log the notes (when -o wide does not print them). */
  logNotes?: boolean;
  /** Test seams for the transport. */
  fetch?: TransportOptions["fetch"];
  random?: () => number;
  /** The clock's time, ms (a Retry-After's end); the system's by default. */
  now?: () => number;
}

/** Requests in flight at once, overall: well above --concurrency's default, a bound for big runs. */
const defaultMaxConcurrent = 32;
/** Requests in flight at once to one registry host, to stay polite. */
const defaultMaxConcurrentPerHost = 8;

/** `--resolver registry`: the tag's digest from the registry API, without pulling. */
export class RegistryResolver implements Resolver {
  readonly name: ResolverName = "registry";
  private readonly transport: Transport;
  private readonly budget: RequestBudget;
  private readonly client: RegistryClient;
  /** Manifests read (or learned from a GET by tag) by repository@digest. */
  private readonly manifests = new ContentReads<ManifestInfo>();
  /** Image configs read by repository@digest (a blob GET). */
  private readonly configs = new ContentReads<
    { ok: true; config: unknown } | { ok: false; reason: string }
  >();

  constructor(private readonly options: RegistryResolverOptions) {
    this.budget = new RequestBudget(options.maxRequests);
    this.transport = new Transport({
      budget: this.budget,
      timeoutMs: options.timeoutMs,
      retry: options.retry ?? defaultRetryPolicy,
      maxConcurrent: options.maxConcurrent ?? defaultMaxConcurrent,
      maxConcurrentPerHost: options.maxConcurrentPerHost ?? defaultMaxConcurrentPerHost,
      log: options.log,
      fetch: options.fetch ?? createHttpFetch({ proxy: options.proxy, connectTimeoutMs: options.timeoutMs }),
      random: options.random,
      now: options.now,
    });
    const authenticator = new Authenticator(this.transport, new TokenCache(), options.isInsecure);
    this.client = new RegistryClient(this.transport, authenticator, options.isInsecure);
  }

  async resolveTag(
    ref: ImageRef,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<TagResolution> {
    try {
      if (ref.tag === null) return { ok: false, reason: "pinned by digest: nothing to resolve" };
      const head = await this.client.manifest("HEAD", ref, ref.tag, credentials, signal);
      if (!head.ok) return head;
      const { status, headers } = head.answer;
      const digest = headerDigest(headers.get("docker-content-digest"));
      if (status === 200 && digest !== null) {
        if (!isDigest(digest))
          return { ok: false, reason: `the registry sent a malformed digest "${clip(digest)}"` };
        return {
          ok: true,
          tag: { digest, sameImageDigests: [], isIndex: isIndexMediaType(headers.get("content-type")) },
        };
      }
      // No digest header (some registries omit it, or send it empty) or HEAD not allowed (405) or not
      // implemented (501): read the manifest and hash it.
      if (status === 200 || status === 405 || status === 501) {
        return await this.resolveByGet(ref, ref.tag, credentials, signal);
      }
      return tagFailure(head, ref.tag);
    } catch (error) {
      return { ok: false, reason: thrownReason(error) };
    }
  }

  async inspectManifest(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    { platform = false, signal }: { platform?: boolean; signal?: AbortSignal } = {},
  ): Promise<ManifestInfo> {
    // Each manifest is read once: a body already read (by the GET fallback of resolveTag, or by an earlier
    // read) answers without a request; a platform read after a plain one only reads the config blob.
    const key = `${repositoryOf(ref)}@${digest}`;
    const platformKey = `${key} platform`;
    const guarded = (read: Promise<ManifestInfo>) =>
      read.catch((error: unknown) => ({ ok: false as const, reason: thrownReason(error) }));
    const asker = chainOf(credentials);
    const plain = this.manifests.read(key, asker, () =>
      guarded(this.readByDigest(ref, digest, credentials, signal)),
    );
    if (!platform) {
      // What a platform read learned is more, unless its config could not be read.
      const more = await this.manifests.known(platformKey);
      return more?.ok ? more : plain;
    }
    return this.manifests.read(platformKey, asker, () =>
      guarded(plain.then((info) => this.addPlatform(ref, info, credentials, signal))),
    );
  }

  async describeImage(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<ImageDescription> {
    const manifest = await this.inspectManifest(ref, digest, credentials, { signal });
    if (!manifest.ok) return manifest;
    if (manifest.isIndex) return { ok: false, reason: `${digest} is an index: it has no config of its own` };
    if (manifest.config === null || !isDigest(manifest.config)) {
      return { ok: false, reason: `manifest ${digest} names no config` };
    }
    const read = await this.config(ref, manifest.config, credentials, signal);
    return read.ok ? describeConfig(read.config) : read;
  }

  /** Docker Hub's remaining pulls (or any registry's that sends the headers). Logs the counts with -v. */
  notes(): string[] {
    const notes = [...this.transport.rateLimits].map(([host, state]) => rateLimitNote(host, state));
    const s = this.stats();
    this.options.log?.(
      `registry requests: ${s.head} HEAD, ${s.get} GET, ${s.blob} config, ${s.token} token, ${s.ping} version check (${s.retries} retries)`,
    );
    if (this.options.logNotes) for (const note of notes) this.options.log?.(note);
    return notes;
  }

  /** What stderr must tell: a budget that left images unknown. */
  warnings(): string[] {
    const warning = this.budget.warning();
    return warning === null ? [] : [warning];
  }

  /** Requests sent so far, by kind (for --verbose and the benchmark). */
  stats(): RequestStats {
    return this.transport.stats();
  }

  private async resolveByGet(
    ref: ImageRef,
    tag: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<TagResolution> {
    const got = await this.client.manifest("GET", ref, tag, credentials, signal);
    if (!got.ok) return got;
    const { status, body } = got.answer;
    if (status !== 200) return tagFailure(got, tag);
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const info = readManifest(body.toString("utf8"));
    if (!info.ok) return info;
    // The body is in hand: a later inspectManifest of this digest needs no request.
    this.manifests.learned(`${repositoryOf(ref)}@${digest}`, { ...info, readByTag: true });
    // What the body is (the digest is its hash) over its Content-Type: a proxy cache may mislabel an index.
    return { ok: true, tag: { digest, sameImageDigests: [], isIndex: info.isIndex } };
  }

  private async readByDigest(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<ManifestInfo> {
    const algorithm = digest.split(":")[0]!;
    if (!isDigest(digest) || !["sha256", "sha384", "sha512"].includes(algorithm)) {
      return { ok: false, reason: `cannot verify digest ${clip(digest)}` };
    }
    const got = await this.client.manifest("GET", ref, digest, credentials, signal);
    if (!got.ok) return got;
    const { status, body } = got.answer;
    if (status === 404) return { ok: false, reason: failureOf(got, digest), missing: true };
    if (status !== 200) return { ok: false, reason: failureOf(got, digest) };
    const actual = `${algorithm}:${createHash(algorithm).update(body).digest("hex")}`;
    if (actual !== digest) {
      return {
        ok: false,
        reason: `the registry's manifest for ${formatImageRef({ ...ref, tag: null, digest })} has digest ${actual}`,
      };
    }
    return readManifest(body.toString("utf8"));
  }

  /**
   * A single manifest with the platform its config blob states (null: it states none); a config that
   * cannot be read makes the whole read a failure, since the platform was what it was read for.
   */
  private async addPlatform(
    ref: ImageRef,
    info: ManifestInfo,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<ManifestInfo> {
    if (!info.ok || info.isIndex) return info;
    if (info.config === null || !isDigest(info.config)) return { ...info, platform: null };
    const read = await this.config(ref, info.config, credentials, signal);
    if (!read.ok) return { ok: false, reason: `its config, for its platform: ${read.reason}` };
    return { ...info, platform: configPlatform(read.config) };
  }

  /** An image config blob as JSON, by repository@digest, checked against its digest. */
  private config(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<{ ok: true; config: unknown } | { ok: false; reason: string }> {
    const key = `${repositoryOf(ref)}@${digest}`;
    return this.configs.read(key, chainOf(credentials), () =>
      this.readConfig(ref, digest, credentials, signal).catch((error: unknown) => ({
        ok: false as const,
        reason: thrownReason(error),
      })),
    );
  }

  private async readConfig(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<{ ok: true; config: unknown } | { ok: false; reason: string }> {
    const got = await this.client.blob(ref, digest, credentials, signal);
    if (!got.ok) return got;
    if (got.answer.status !== 200) return { ok: false, reason: failureOf(got, `config ${digest}`) };
    const algorithm = digest.split(":")[0]!;
    const actual = `${algorithm}:${createHash(algorithm).update(got.answer.body).digest("hex")}`;
    if (actual !== digest)
      return { ok: false, reason: `the registry's config ${digest} has digest ${actual}` };
    try {
      return { ok: true, config: JSON.parse(got.answer.body.toString("utf8")) };
    } catch {
      return { ok: false, reason: `config ${digest} is not JSON` };
    }
  }
}

/** A tag the registry answered for without a digest; a 404 says it does not have it. */
function tagFailure(got: Extract<ManifestAnswer, { ok: true }>, tag: string): TagResolution {
  const reason = failureOf(got, `tag ${tag}`);
  return got.answer.status === 404 ? { ok: false, reason, missing: true } : { ok: false, reason };
}

/**
 * Why a request the registry accepted failed: its status and error body, without what the request carried.
 */
function failureOf(got: Extract<ManifestAnswer, { ok: true }>, what: string): string {
  const { status, body } = got.answer;
  const detail = detailOf(body, got.secrets);
  if (status === 404) return `${what} not found (404${detail})`;
  if (status === 429) return `rate limited by the registry (429${detail})`;
  return `the registry answered ${status}${detail}`;
}

/** Why a read ended in an exception: the spent budget says so itself; anything else is a bug of ours. */
function thrownReason(error: unknown): string {
  if (error instanceof RequestBudgetSpentError) return error.message;
  return `registry client error: ${error instanceof Error ? error.message : String(error)}`;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Who asks, for reads by digest: the credentials tried, in their order. */
function chainOf(credentials: readonly Credential[]): string {
  return credentials.map(fingerprint).join(" ");
}

/**
 * The digest a Docker-Content-Digest header names: its one value, or the one repeated (a proxy that adds
 * the header again, the values joined); null when it is empty or names several, for a GET to settle.
 */
function headerDigest(header: string | null): string | null {
  if (header === null) return null;
  const values = new Set(
    header
      .split(",")
      .map((value) => value.trim())
      .filter((value) => value !== ""),
  );
  return values.size === 1 ? [...values][0]! : null;
}
