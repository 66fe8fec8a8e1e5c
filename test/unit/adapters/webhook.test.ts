/**
 * The webhook's delivery rules on a scripted fetch and a fake clock: what is retried and how long apart,
 * what is final, and that no message or log line carries the URL's path or query (where tokens live).
 * The real HTTP exchange is in test/integration/webhook.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { HttpFetch } from "../../../src/adapters/http/http-fetch.js";
import { redactUrl, Webhook, webhookRetry } from "../../../src/adapters/webhook.js";
import { FakeClock } from "../../support/fake-clock.js";

const secretUrl = new URL("https://hooks.example.com/services/T0001/B0002/s3cr3tT0k3n?sig=abc123");
const secretParts = ["/services/T0001/B0002/s3cr3tT0k3n", "s3cr3tT0k3n", "sig=abc123"];

type Step = number | Error | { status: number; retryAfter?: string };

/** A fetch answering with `steps` in turn (a status, an answer with headers, or a thrown error). */
function scripted(clock: FakeClock, ...steps: Step[]) {
  const calls: { at: number; body: string; method: string; redirect: string }[] = [];
  const fetcher = (async (_url: URL, init: RequestInit) => {
    calls.push({
      at: clock.elapsed(),
      body: String(init.body),
      method: String(init.method),
      redirect: String(init.redirect),
    });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    if (step instanceof Error) throw step;
    const { status, retryAfter } = typeof step === "number" ? { status: step, retryAfter: undefined } : step;
    return new Response(status === 204 ? null : "ok", {
      status,
      headers: retryAfter ? { "retry-after": retryAfter } : {},
    });
  }) as unknown as HttpFetch;
  return { calls, fetcher };
}

function post(clock: FakeClock, fetcher: HttpFetch, log?: string[]) {
  const webhook = new Webhook(secretUrl, {
    timeoutMs: 10_000,
    retry: webhookRetry,
    clock,
    fetch: fetcher,
    random: () => 1,
    ...(log ? { log: (line: string) => log.push(line) } : {}),
  });
  return clock.run(webhook.post('{"kind":"RunReport"}'));
}

function fetchFailed(code: string, message: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
}

describe("delivery", () => {
  it("a 2xx on the first attempt: one POST of the document, redirects not followed", async () => {
    const clock = new FakeClock();
    const { calls, fetcher } = scripted(clock, 204);
    expect(await post(clock, fetcher)).toEqual({ ok: true, status: 204, attempts: 1 });
    expect(calls).toEqual([{ at: 0, body: '{"kind":"RunReport"}', method: "POST", redirect: "manual" }]);
  });

  it("5xx and network errors are retried: three attempts, 1 s then 2 s apart", async () => {
    const clock = new FakeClock();
    const { calls, fetcher } = scripted(clock, 503, fetchFailed("ECONNRESET", "socket hang up"), 200);
    expect(await post(clock, fetcher)).toEqual({ ok: true, status: 200, attempts: 3 });
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 3000]);
  });

  it.each([
    ["a proxy's refusal (407)", "ERR_PROXY_REFUSED", "proxy http://127.0.0.1:3128 answered 407"],
    ["an untrusted certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"],
    ["a name that does not resolve", "ENOTFOUND", "getaddrinfo ENOTFOUND hooks.example.com"],
  ])("%s is final: asked again it would only repeat itself", async (_, code, message) => {
    const clock = new FakeClock();
    const { calls, fetcher } = scripted(clock, fetchFailed(code, message), 200);
    expect(await post(clock, fetcher)).toMatchObject({ ok: false, attempts: 1 });
    expect(calls).toHaveLength(1);
  });

  it("an untrusted certificate says where the webhook's CA may be given; other TLS failures do not", async () => {
    const clock = new FakeClock();
    const { fetcher } = scripted(clock, fetchFailed("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate"));
    expect(await post(clock, fetcher)).toMatchObject({
      reason:
        "TLS error: SELF_SIGNED_CERT_IN_CHAIN (its CA may be given in NODE_EXTRA_CA_CERTS or the system's bundle)",
    });
    // No CA mends an expired certificate or another host's.
    for (const code of ["CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID"]) {
      const other = scripted(clock, fetchFailed(code, "no"));
      expect(await post(clock, other.fetcher)).toMatchObject({ reason: `TLS error: ${code}` });
    }
  });

  it("gives up after three attempts and says why, with the last answer", async () => {
    const clock = new FakeClock();
    const { calls, fetcher } = scripted(clock, 500);
    expect(await post(clock, fetcher)).toEqual({
      ok: false,
      reason: "HTTP 500 after 3 attempts",
      attempts: 3,
    });
    expect(calls).toHaveLength(3);
  });

  it("a Retry-After up to 10 s is waited for; a longer one is not", async () => {
    const clock = new FakeClock();
    const { calls, fetcher } = scripted(clock, { status: 429, retryAfter: "7" }, 200);
    expect((await post(clock, fetcher)).ok).toBe(true);
    expect(calls.map((c) => c.at)).toEqual([0, 7000]);

    const later = new FakeClock();
    const slow = scripted(later, { status: 429, retryAfter: "3600" });
    expect(await post(later, slow.fetcher)).toEqual({ ok: false, reason: "HTTP 429", attempts: 1 });
  });

  it.each([502, 504, 522])("HTTP %i, a gateway's or a CDN's, is retried", async (status) => {
    const clock = new FakeClock();
    const { fetcher } = scripted(clock, status, 200);
    expect(await post(clock, fetcher)).toEqual({ ok: true, status: 200, attempts: 2 });
  });

  it.each([400, 401, 403, 404, 410, 501, 505])("HTTP %i is final: not retried", async (status) => {
    const clock = new FakeClock();
    const { calls, fetcher } = scripted(clock, status);
    expect(await post(clock, fetcher)).toEqual({ ok: false, reason: `HTTP ${status}`, attempts: 1 });
    expect(calls).toHaveLength(1);
  });

  it("a redirect is not followed and not retried", async () => {
    const clock = new FakeClock();
    const { fetcher } = scripted(clock, 302);
    expect(await post(clock, fetcher)).toEqual({
      ok: false,
      reason: "HTTP 302: redirects are not followed",
      attempts: 1,
    });
  });

  it("a timeout is retried and reported as such", async () => {
    const clock = new FakeClock();
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const { fetcher } = scripted(clock, timeout);
    expect(await post(clock, fetcher)).toEqual({
      ok: false,
      reason: "no answer within 10s after 3 attempts",
      attempts: 3,
    });
  });
});

describe("the URL stays secret", () => {
  it("a network error quoting the URL is reported without its path or query; the log names the host only", async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const quoting = new TypeError("fetch failed", {
      cause: new Error(`getaddrinfo ENOTFOUND while fetching ${secretUrl.href}`),
    });
    const { fetcher } = scripted(clock, quoting);
    const delivery = await post(clock, fetcher, log);
    expect(delivery.ok).toBe(false);
    const text = JSON.stringify(delivery) + log.join("\n");
    for (const part of secretParts) expect(text).not.toContain(part);
    expect(log[0]).toBe(
      "webhook: POST https://hooks.example.com/… → getaddrinfo ENOTFOUND while fetching … (attempt 1)",
    );
  });

  it("an error code is reported as it is", async () => {
    const clock = new FakeClock();
    const { fetcher } = scripted(clock, fetchFailed("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9"));
    expect(await post(clock, fetcher)).toMatchObject({ reason: "ECONNREFUSED after 3 attempts" });
  });

  it("redactUrl removes every form of the path and query", () => {
    const text = `a ${secretUrl.href} b ${secretUrl.pathname} c ${secretUrl.search} d`;
    const redacted = redactUrl(text, secretUrl);
    for (const part of secretParts) expect(redacted).not.toContain(part);
    expect(redacted).toBe("a … b … c … d");
    // A URL without path or query has nothing to hide but itself.
    expect(redactUrl("to https://hooks.example.com/", new URL("https://hooks.example.com"))).toBe("to …");
  });
});
