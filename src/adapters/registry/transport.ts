/**
 * HTTP to registries and token servers over keep-alive connections, through the environment's proxy where
 * it says so (../http/http-fetch.ts; https with the system CAs, which include NODE_EXTRA_CA_CERTS). Every
 * request has a timeout; 408/429/5xx and network errors are retried with backoff and jitter
 * (retry-policy.ts); a global and a per-host limit bound the requests in flight. A host that fails TLS or
 * name resolution, that its proxy refuses, or that stays unreachable after its retries, is not asked again
 * in this run, so one dead registry costs one timeout sequence, not one per image. A host that has answered
 * before is only slow or flaky: it is given up on after a few requests failed that way, not after the first.
 * Counts requests by kind, keeps Docker Hub's rate-limit headers, and sends none beyond the run's budget.
 */

import { systemClock } from "../../util/clock.js";
import { Limiter } from "../../util/limiter.js";
import {
  type HttpFetchInit,
  type HttpHeaders,
  type HttpResponse,
  httpFetch,
  type RedirectedFailure,
  redirectRefusedCode,
} from "../http/http-fetch.js";
import { isPermanentFailure, isTlsFailure } from "../http/permanent-failures.js";
import { mergeRateLimit, parseRateLimit, type RateLimitState } from "./rate-limit.js";
import type { RequestBudget } from "./request-budget.js";
import {
  givesUpOnHost,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
  retryDelay,
} from "./retry-policy.js";

/**
 * What a request is for, as counted in stats: the version check, manifest HEAD/GET, token requests, and
 * image config blobs (read for a single manifest's platform; not a pull on Docker Hub).
 */
export type RequestKind = "ping" | "head" | "get" | "token" | "blob";

/** Requests sent during the run, retries included. */
export interface RequestStats {
  ping: number;
  head: number;
  get: number;
  token: number;
  blob: number;
  /** How many of the above were retries. */
  retries: number;
}

/** A complete answer; the body is empty for HEAD. */
export interface HttpAnswer {
  /** Where the answer came from: the request's URL, or where its redirects led (another origin, maybe). */
  url: URL;
  /** The URLs whose redirects led to `url`, the request's first. */
  redirectedFrom: URL[];
  status: number;
  headers: HttpHeaders;
  body: Buffer;
}

/**
 * Where on an answer's way a redirect led off `from`'s origin, as a message names it (its host, or its
 * origin when the scheme changed); null when every hop was `from`'s origin.
 */
export function redirectedOffOrigin(answer: HttpAnswer, from: URL): string | null {
  const off = [...answer.redirectedFrom, answer.url].find((hop) => hop.origin !== from.origin);
  if (!off) return null;
  return off.protocol === from.protocol ? off.host : off.origin;
}

/** An answer, or why there is none (after retries). */
export type Exchange = { ok: true; answer: HttpAnswer } | { ok: false; reason: string };

/** Timeouts, retries and limits; the rest are test seams. */
export interface TransportOptions {
  timeoutMs: number;
  retry: RetryPolicy;
  maxConcurrent: number;
  maxConcurrentPerHost: number;
  /** Larger bodies are refused: manifests are at most 4 MiB by the distribution spec. */
  maxBodyBytes?: number;
  /** --max-requests: a request beyond it throws RequestBudgetSpentError instead of being sent. */
  budget?: RequestBudget;
  log?: (line: string) => void;
  /** Test seams. */
  fetch?: Fetch;
  random?: () => number;
  now?: () => number;
}

/** How a request is sent: httpFetch, or a test's fake with fetch's shape. */
export type Fetch = (url: URL, init: HttpFetchInit) => Promise<HttpResponse>;

/** One request as the registry code builds it. */
export interface HttpRequest {
  method: "GET" | "HEAD" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

/** A failed attempt: whether asking again may help, and whether the host itself is unreachable. */
interface Failure {
  reason: string;
  retryable: boolean;
  hostDown: boolean;
}

type Attempt = { ok: true; answer: HttpAnswer } | ({ ok: false } & Failure);

/** An attempt not made: its host was given up on for the run. */
const givenUp: Attempt = { ok: false, reason: "given up on", retryable: false, hostDown: false };

/** Why a request is not sent into a pause too long to wait for. */
function tooLong(pause: { until: number; status: number }): string {
  const until = new Date(pause.until).toISOString().replace(/\.\d+Z$/, "Z");
  return `asked for no requests until ${until} (it answered ${pause.status} with Retry-After)`;
}

/** The one way registry code reaches the network. */
export class Transport {
  private readonly global: Limiter;
  private readonly perHost = new Map<string, Limiter>();
  private readonly unreachable = new Map<string, string>();
  /** Hosts not heard from yet, while one request asks them first: `heard` once they answer or it ends. */
  private readonly probes = new Map<string, { heard: Promise<void>; hear: () => void }>();
  /** Hosts that have answered in this run, with how many of their requests have failed on the network. */
  private readonly answered = new Map<string, number>();
  private readonly counts: RequestStats = { ping: 0, head: 0, get: 0, token: 0, blob: 0, retries: 0 };
  readonly rateLimits = new Map<string, RateLimitState>();
  /** Hosts that asked for a pause (a Retry-After): when it ends, and what they answered with it. */
  private readonly paused = new Map<string, { until: number; status: number }>();
  private readonly fetch: Fetch;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: TransportOptions) {
    this.global = new Limiter(options.maxConcurrent);
    this.fetch = options.fetch ?? httpFetch;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  }

  stats(): RequestStats {
    return { ...this.counts };
  }

  /**
   * Why no request to the host would be sent now (given up on, or a pause it asked for too long to wait
   * for), or null: asked before a request that would need others first (a token for it).
   */
  refusal(host: string): string | null {
    const unreachable = this.unreachable.get(host);
    if (unreachable !== undefined) return unreachable;
    const pause = this.paused.get(host);
    const waitable = !pause || pause.until - this.now() <= this.options.retry.maxRetryAfterMs;
    return waitable ? null : `${host}: ${tooLong(pause)}`;
  }

  /** Sends one request, retrying what is worth retrying. Throws only when the budget is spent. */
  async request(kind: RequestKind, url: URL, init: HttpRequest, signal?: AbortSignal): Promise<Exchange> {
    const host = url.host;
    // A host not heard from yet is asked one request at a time until it answers: if it never does, it costs
    // one timeout sequence, not one for each request waiting for it (a token server: one per repository).
    for (let probe = this.probes.get(host); probe; probe = this.probes.get(host)) await probe.heard;
    if (this.unreachable.has(host)) return { ok: false, reason: this.unreachable.get(host)! };
    if (this.answered.has(host)) return this.requestWithRetries(kind, url, init, signal);
    const probe = { heard: Promise.resolve(), hear: () => {} };
    probe.heard = new Promise<void>((resolve) => {
      probe.hear = resolve;
    });
    this.probes.set(host, probe);
    try {
      return await this.requestWithRetries(kind, url, init, signal);
    } finally {
      this.hear(host);
    }
  }

  private async requestWithRetries(
    kind: RequestKind,
    url: URL,
    init: HttpRequest,
    signal?: AbortSignal,
  ): Promise<Exchange> {
    const host = url.host;
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) return { ok: false, reason: "interrupted" };
      const attempt = await this.attempt(kind, url, init, signal);
      if (attempt === givenUp) return { ok: false, reason: this.unreachable.get(host)! };
      let wait: number | null;
      if (attempt.ok) {
        const { status, headers } = attempt.answer;
        if (!isRetryableStatus(status)) return attempt;
        const retryAfter = parseRetryAfter(headers.get("retry-after"), this.now());
        wait = retryDelay(this.options.retry, retry, this.random(), retryAfter);
        if (wait === null) return attempt;
      } else {
        if (signal?.aborted) return { ok: false, reason: "interrupted" };
        wait = attempt.retryable ? retryDelay(this.options.retry, retry, this.random()) : null;
        if (wait === null) {
          const tries = retry + 1;
          const reason = `${host}: ${attempt.reason}${tries > 1 ? ` (${tries} attempts)` : ""}`;
          if (attempt.hostDown && this.givesUpOn(host, attempt.retryable)) this.unreachable.set(host, reason);
          return { ok: false, reason };
        }
      }
      this.counts.retries++;
      this.options.log?.(`registry: retrying ${init.method} ${url.href} in ${wait} ms`);
      await systemClock.sleep(wait, signal);
    }
  }

  private pause(host: string, status: number, forMs: number): void {
    const until = this.now() + forMs;
    if (until > (this.paused.get(host)?.until ?? 0)) this.paused.set(host, { until, status });
  }

  /** The host has answered in this run (its failures counted from here). */
  private heardFrom(host: string): void {
    if (!this.answered.has(host)) this.answered.set(host, 0);
  }

  /** The requests waiting for the host's first answer go on: it answered, or its first asker is done. */
  private hear(host: string): void {
    this.probes.get(host)?.hear();
    this.probes.delete(host);
  }

  /** Whether a request that failed on the network means the host is not worth asking again. */
  private givesUpOn(host: string, transient: boolean): boolean {
    const before = this.answered.get(host);
    const failures = (before ?? 0) + 1;
    if (before !== undefined) this.answered.set(host, failures);
    return givesUpOnHost({ permanent: !transient, answeredBefore: before !== undefined, failures });
  }

  private async attempt(
    kind: RequestKind,
    url: URL,
    init: HttpRequest,
    signal?: AbortSignal,
  ): Promise<Attempt> {
    let hostLimit = this.perHost.get(url.host);
    if (!hostLimit) {
      hostLimit = new Limiter(this.options.maxConcurrentPerHost);
      this.perHost.set(url.host, hostLimit);
    }
    // The host's slot first, so a request waiting for a busy registry does not hold a global slot. Given up
    // on while it waited (or before a retry), the host is not asked: one dead host costs one timeout
    // sequence, not one per request queued for it (a token server: one per repository).
    return hostLimit.run(async () => {
      for (;;) {
        if (this.unreachable.has(url.host)) return givenUp;
        const paused = await this.outlastPause(url.host, signal);
        if (paused !== null) return { ok: false, reason: paused, retryable: false, hostDown: false };
        // A pause the host asked for while this request waited for a global slot (others' registries slow)
        // holds it too: the slot is given back, and the pause waited out, rather than sent into.
        const sent = await this.global.run(async () =>
          this.pausedNow(url.host) ? null : this.send(kind, url, init, signal),
        );
        if (sent !== null) return sent;
      }
    });
  }

  private pausedNow(host: string): boolean {
    return (this.paused.get(host)?.until ?? 0) > this.now();
  }

  /**
   * Waits until the host's pause (a Retry-After) ends, checked just before a request would be sent: each
   * request sent meanwhile would earn its own 429. One too long to wait for is why the request is not sent.
   */
  private async outlastPause(host: string, signal?: AbortSignal): Promise<string | null> {
    for (let pause = this.paused.get(host); pause; pause = this.paused.get(host)) {
      const left = pause.until - this.now();
      if (left <= 0) return null;
      if (left > this.options.retry.maxRetryAfterMs) return tooLong(pause);
      await systemClock.sleep(left, signal);
      if (signal?.aborted) return "interrupted";
    }
    return null;
  }

  private async send(kind: RequestKind, url: URL, init: HttpRequest, signal?: AbortSignal): Promise<Attempt> {
    this.options.budget?.take();
    this.counts[kind]++;
    const started = this.now();
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const label = `${init.method} ${url.href}`;
    try {
      const response = await this.fetch(url, {
        method: init.method,
        headers: init.headers,
        body: init.body,
        signal: combined,
      });
      // Its status and headers came: the host has answered, even if its body is cut short below.
      this.heardFrom(url.host);
      // Before the requests waiting for the host's first answer go on: they must see a pause it asked for.
      // Only the host's own: a redirect's (a CDN's) asks nothing of the registry.
      if (isRetryableStatus(response.status) && new URL(response.url).host === url.host) {
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"), this.now());
        if (retryAfter !== null) this.pause(url.host, response.status, retryAfter);
      }
      this.hear(url.host);
      const body = init.method === "HEAD" ? Buffer.alloc(0) : await readCapped(response, this.maxBodyBytes);
      if (kind === "head" || kind === "get") this.noteRateLimit(url.host, response.headers);
      this.options.log?.(`registry: ${label} → ${response.status} in ${this.now() - started} ms`);
      const answer = {
        url: new URL(response.url),
        redirectedFrom: (response.redirectedFrom ?? []).map((href) => new URL(href)),
        status: response.status,
        headers: response.headers,
        body,
      };
      return { ok: true, answer };
    } catch (error) {
      const failure = classify(error, timeout.aborted, this.options.timeoutMs);
      // Failed where its redirect led: the host answered (with the redirect), and its requests waiting for a
      // first answer go on, each to fail or not on its own.
      if ((error as RedirectedFailure | undefined)?.redirectedTo !== undefined) {
        this.heardFrom(url.host);
        this.hear(url.host);
      }
      this.options.log?.(`registry: ${label} failed: ${failure.reason}`);
      return { ok: false, ...failure };
    }
  }

  private noteRateLimit(host: string, headers: HttpHeaders): void {
    const merged = mergeRateLimit(
      this.rateLimits.get(host),
      parseRateLimit(headers.get("ratelimit-limit")),
      parseRateLimit(headers.get("ratelimit-remaining")),
    );
    if (merged) this.rateLimits.set(host, merged);
  }
}

class BodyTooLargeError extends Error {}

async function readCapped(response: HttpResponse, max: number): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) {
    await response.body?.cancel();
    throw new BodyTooLargeError(`answer of ${declared} bytes is larger than ${max}`);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > max) throw new BodyTooLargeError(`answer larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function classify(error: unknown, timedOut: boolean, timeoutMs: number): Failure {
  const { redirectedTo } = (error ?? {}) as RedirectedFailure;
  if (redirectedTo === undefined) {
    const failure = classifyFailure(error, timedOut, timeoutMs);
    // A registry serving only plain http, not named as such: the commonest private registry's mistake.
    if (!plainHttpAnswer.test(failure.reason)) return failure;
    return {
      ...failure,
      reason: `${failure.reason} (it answers plain http: pass --insecure-registry HOST[:PORT])`,
    };
  }
  // The registry answered, with a redirect (to its blob storage): where that led is not the registry.
  const failure = classifyFailure(error, timedOut, timeoutMs);
  return { ...failure, reason: `redirected to ${redirectedTo}: ${failure.reason}`, hostDown: false };
}

/** OpenSSL's answer to a record that is not TLS: an http server's reply read as one. */
const plainHttpAnswer = /^TLS error: (?:wrong version number|packet length too long|http request)$/;

/**
 * OpenSSL's error line (`write EPROTO 80…:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../deps/openssl/…:350:` and a newline) cut to its reason; another message as it is.
 */
function openSslReason(detail: string): string {
  return /:error:[0-9A-F]+:[^:]*:[^:]*:([^:\n]+)/.exec(detail)?.[1] ?? detail;
}

function classifyFailure(error: unknown, timedOut: boolean, timeoutMs: number): Failure {
  if (timedOut) return { reason: `no answer within ${timeoutMs} ms`, retryable: true, hostDown: true };
  if (error instanceof BodyTooLargeError) return { reason: error.message, retryable: false, hostDown: false };
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "AbortError") return { reason: "interrupted", retryable: false, hostDown: false };
  const cause = err?.cause;
  const code = cause?.code ?? "";
  const detail = cause?.message ?? err?.message ?? String(error);
  // The registry answered, with a redirect this client will not follow: it is up, and will say the
  // same again.
  if (code === redirectRefusedCode) return { reason: detail, retryable: false, hostDown: false };
  if (isPermanentFailure(code)) {
    return {
      reason: isTlsFailure(code) ? `TLS error: ${openSslReason(detail)}` : detail,
      retryable: false,
      hostDown: true,
    };
  }
  // A TypeError without a cause is a request fetch refused to send (a bad header value, say).
  if (err?.name === "TypeError" && !cause) return { reason: detail, retryable: false, hostDown: false };
  return { reason: code ? `${detail} (${code})` : detail, retryable: true, hostDown: true };
}
