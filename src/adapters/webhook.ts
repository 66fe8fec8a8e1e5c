/**
 * Posts one JSON document to a webhook, in this process: the URL is a secret (chat
 * webhooks carry their token in the path), so it never goes into a child's argv, and messages and logs name
 * its host only. Bounded: each attempt has a timeout; network errors, timeouts, 408, 429 and every 5xx but
 * 501 and 505 are retried with backoff (registry/retry-policy.ts's rules), but for a proxy's refusal, TLS
 * trust and a name that does not resolve; any other answer is final. Redirects are not followed: they would
 * carry the report to another address.
 */
import { blanked } from "../util/blanked.js";
import type { Clock } from "../util/clock.js";
import { type HttpFetch, httpFetch } from "./http/http-fetch.js";
import { isPermanentFailure, isTlsFailure, isUntrustedCertificate } from "./http/permanent-failures.js";
import { isRetryableStatus, parseRetryAfter, type RetryPolicy, retryDelay } from "./registry/retry-policy.js";

/** Three attempts, 1 s then 2 s apart (halved by jitter at most), a Retry-After of up to 10 s honoured. */
export const webhookRetry: RetryPolicy = {
  retries: 2,
  baseDelayMs: 1_000,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 10_000,
};

export interface WebhookOptions {
  /** Each attempt's limit, the answer's headers included. */
  timeoutMs: number;
  retry: RetryPolicy;
  clock: Clock;
  /** --verbose: one line per attempt, naming the host only. */
  log?: (line: string) => void;
  /** Direct when absent; the command passes one that goes through the environment's proxy. */
  fetch?: HttpFetch;
  random?: () => number;
}

export type Delivery =
  | { ok: true; status: number; attempts: number }
  | { ok: false; reason: string; attempts: number };

export class Webhook {
  constructor(
    private readonly url: URL,
    private readonly options: WebhookOptions,
  ) {}

  /** `host[:port]`: the only part of the URL ever shown. */
  get host(): string {
    return this.url.host;
  }

  /** Posts `body` (JSON); never throws: a failure is the Delivery's reason. */
  async post(body: string): Promise<Delivery> {
    const { retry, clock, log } = this.options;
    const random = this.options.random ?? Math.random;
    // The run's own signal may already be aborted (an interrupted run still reports): sleeps are never cut.
    const never = new AbortController().signal;
    for (let attempt = 1; ; attempt++) {
      const answer = await this.attempt(body);
      log?.(`webhook: POST ${this.url.protocol}//${this.host}/… → ${answer.summary} (attempt ${attempt})`);
      if (answer.kind === "delivered") return { ok: true, status: answer.status, attempts: attempt };
      const delay = answer.retryable
        ? retryDelay(retry, attempt - 1, random(), answer.retryAfterMs ?? null)
        : null;
      if (delay === null) {
        const tries = attempt === 1 ? "" : ` after ${attempt} attempts`;
        return { ok: false, reason: `${answer.summary}${tries}`, attempts: attempt };
      }
      await clock.sleep(delay, never);
    }
  }

  private async attempt(body: string): Promise<Attempt> {
    const fetcher = this.options.fetch ?? httpFetch;
    const timeoutMs = this.options.timeoutMs;
    try {
      const response = await fetcher(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "kubectl-autoupdate" },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is not read: the status says it all.
      await response.body?.cancel().catch(() => undefined);
      const status = response.status;
      if (status >= 200 && status < 300) return { kind: "delivered", status, summary: `HTTP ${status}` };
      if (status >= 300 && status < 400) {
        return { kind: "refused", retryable: false, summary: `HTTP ${status}: redirects are not followed` };
      }
      return {
        kind: "refused",
        retryable: isRetryableStatus(status),
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), this.options.clock.now()),
        summary: `HTTP ${status}`,
      };
    } catch (error) {
      // A proxy's refusal, TLS trust, a name that does not resolve: asked again, each only repeats itself.
      const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      const retryable = !(typeof code === "string" && isPermanentFailure(code));
      return { kind: "refused", retryable, summary: this.networkError(error, timeoutMs) };
    }
  }

  /** What went wrong on the network, without the URL's path or query (where tokens live). */
  private networkError(error: unknown, timeoutMs: number): string {
    const e = error as {
      name?: string;
      message?: string;
      cause?: { name?: string; code?: string; message?: string };
    };
    if (e?.name === "TimeoutError" || e?.name === "AbortError") {
      return `no answer within ${formatSeconds(timeoutMs)}`;
    }
    // A proxy's failure says which proxy and what it answered; others are the system's code, an untrusted
    // certificate's with where the webhook's CA may be given.
    const cause = e?.cause;
    if (cause?.code && isTlsFailure(cause.code)) {
      const hint = isUntrustedCertificate(cause.code)
        ? " (its CA may be given in NODE_EXTRA_CA_CERTS or the system's bundle)"
        : "";
      return `TLS error: ${cause.code}${hint}`;
    }
    const detail =
      (cause?.name === "ProxyError" ? cause.message : undefined) ??
      cause?.code ??
      cause?.message ??
      e?.message ??
      String(error);
    return redactUrl(detail, this.url);
  }
}

type Attempt =
  | { kind: "delivered"; status: number; summary: string }
  | { kind: "refused"; retryable: boolean; retryAfterMs?: number | null; summary: string };

/** Every form of the URL's secret parts replaced by "…" (a message from the network stack may quote it). */
export function redactUrl(text: string, url: URL): string {
  const secrets = [url.href, `${url.pathname}${url.search}`, url.pathname, url.search, url.hash];
  return blanked(
    text,
    secrets.filter((part) => part.length > 1),
    "…",
  );
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
