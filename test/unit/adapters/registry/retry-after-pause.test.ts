/**
 * A registry's Retry-After pauses every request to it, not only the one it answered: requests waiting for the
 * host's first answer, queued for its slot, or for a token, are not sent before the pause ends, and one too
 * long to wait for (over the cap) leaves them unanswered at once.
 */
import { describe, expect, it } from "vitest";
import { Transport } from "../../../../src/adapters/registry/transport.js";
import { bearer, fakeFetch, ref, resolver } from "../../../support/registry/fake-api.js";

const now = Date.parse("2026-11-30T12:00:00Z");
const pauseReason =
  "reg.test: asked for no requests until 2026-11-30T13:00:00Z (it answered 429 with Retry-After)";
const anHour = () => new Response("", { status: 429, headers: { "retry-after": "3600" } });

/**
 * A transport whose fetch answers the nth request, to `url`, with `answer(n, url)`, `delayMs(url)` later
 * (5 ms); at most `maxConcurrent` requests in flight (32).
 */
function transport(
  perHost: number,
  answer: (n: number, url: URL) => Response,
  { maxConcurrent = 32, delayMs = () => 5 }: { maxConcurrent?: number; delayMs?: (url: URL) => number } = {},
) {
  let sent = 0;
  const fetch = (async (url: URL) => {
    sent++;
    const response = answer(sent, url);
    await new Promise((resolve) => setTimeout(resolve, delayMs(url)));
    return Object.defineProperty(response, "url", { value: String(url) });
  }) as never;
  const t = new Transport({
    timeoutMs: 2000,
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    maxConcurrent,
    maxConcurrentPerHost: perHost,
    fetch,
    now: () => now,
  });
  return { t, sent: () => sent };
}

const heads = (t: Transport) =>
  Promise.all(
    [1, 2, 3, 4, 5].map((n) =>
      t.request("head", new URL(`https://reg.test/v2/app${n}/manifests/1`), { method: "HEAD" }),
    ),
  );

describe("a registry's Retry-After", () => {
  it("holds the requests that passed the pause check while waiting for a global slot", async () => {
    const sent: string[] = [];
    // Another registry is slow: it holds the only global slot while reg.test's requests queue for it.
    const isVersionCheck = (url: URL) => url.pathname === "/v2/";
    const { t } = transport(
      8,
      (_, url) => {
        sent.push(`${url.host}${url.pathname}`);
        return url.host === "reg.test" && !isVersionCheck(url) ? anHour() : new Response("{}");
      },
      { maxConcurrent: 1, delayMs: (url) => (url.host === "other.test" && !isVersionCheck(url) ? 50 : 5) },
    );
    // Both hosts have answered once, so nothing waits for a first answer.
    for (const host of ["reg.test", "other.test"]) {
      await t.request("ping", new URL(`https://${host}/v2/`), { method: "GET" });
    }
    const slow = t.request("head", new URL("https://other.test/v2/app/manifests/1"), { method: "HEAD" });
    const [first, ...others] = await heads(t);
    await slow;
    expect(first).toMatchObject({ ok: true, answer: { status: 429 } });
    expect(others).toEqual(Array(4).fill({ ok: false, reason: pauseReason }));
    expect(sent.filter((path) => path.startsWith("reg.test/v2/app"))).toEqual([
      "reg.test/v2/app1/manifests/1",
    ]);
  });

  it("holds the requests that waited for the host's first answer", async () => {
    const { t, sent } = transport(8, anHour);
    const [first, ...others] = await heads(t);
    expect(first).toMatchObject({ ok: true, answer: { status: 429 } });
    expect(others).toEqual(Array(4).fill({ ok: false, reason: pauseReason }));
    expect(sent()).toBe(1);
  });

  it("holds the requests queued for the host's slot", async () => {
    const { t, sent } = transport(1, (n) => (n === 1 ? new Response("{}") : anHour()));
    // The host has answered before: no request waits for a first answer.
    await t.request("get", new URL("https://reg.test/v2/"), { method: "GET" });
    await heads(t);
    expect(sent()).toBe(2);
  });

  it("of a token server: one token request for several images, not one each", async () => {
    const { fetch, seen } = fakeFetch((request) =>
      new URL(request.url).host === "auth.test"
        ? anHour()
        : new Response("{}", { status: 401, headers: { "www-authenticate": bearer } }),
    );
    const r = resolver(fetch, { now: () => now });
    await Promise.all(["a", "b", "c", "d"].map((name) => r.resolveTag(ref(`reg.test/${name}:1`), [])));
    expect(seen.filter((s) => new URL(s.url).host === "auth.test")).toHaveLength(1);
  });

  it("from a CDN a redirect led to (a blob's) pauses nothing of the registry's own", async () => {
    const sent: string[] = [];
    const cdn = (url: URL) =>
      url.pathname.includes("/blobs/")
        ? Object.defineProperty(new Response("", { status: 503, headers: { "retry-after": "60" } }), "url", {
            value: "https://cdn.example/blob?sig=x",
          })
        : Object.defineProperty(new Response("{}"), "url", { value: String(url) });
    const t = new Transport({
      timeoutMs: 2000,
      retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 30_000 },
      maxConcurrent: 8,
      maxConcurrentPerHost: 4,
      fetch: (async (url: URL) => {
        sent.push(url.href);
        return cdn(url);
      }) as never,
      now: () => now,
    });
    await t.request("blob", new URL("https://reg.test/v2/app/blobs/sha256:aa"), { method: "GET" });
    const head = await t.request("head", new URL("https://reg.test/v2/other/manifests/1"), {
      method: "HEAD",
    });
    expect(head).toMatchObject({ ok: true, answer: { status: 200 } });
    expect(sent).toContain("https://reg.test/v2/other/manifests/1");
  });
});
