/**
 * Registry faults end the resolver's answer in { ok: false }, against the in-process fake of the
 * registry API.
 */
import { describe, expect, it } from "vitest";
import {
  bearer,
  dockerManifest,
  fakeFetch,
  INDEX,
  indexBody,
  kinds,
  MANIFEST,
  ociIndex,
  ref,
  resolver,
  type Seen,
} from "../../../support/registry/fake-api.js";

describe("registry resolver: faults end in { ok: false }, never a throw or a guess", () => {
  const plainRegistry =
    (manifest: (req: Seen, attempt: number) => Response | "hang") => (req: Seen, attempt: number) =>
      req.url.endsWith("/v2/") ? new Response("{}") : manifest(req, attempt);

  it("404: the registry does not have the tag (a new pod could not pull it either)", async () => {
    const { fetch } = fakeFetch(
      plainRegistry(
        () =>
          new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', {
            status: 404,
          }),
      ),
    );
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:gone"), [])).toEqual({
      ok: false,
      reason: "tag gone not found (404)",
      missing: true,
    });
  });

  it("429 then success: retried after Retry-After", async () => {
    const { fetch, seen } = fakeFetch(
      plainRegistry((_, attempt) =>
        attempt === 1
          ? new Response("", { status: 429, headers: { "retry-after": "0" } })
          : new Response(null, {
              headers: {
                "docker-content-digest": MANIFEST,
                "ratelimit-remaining": "99;w=21600",
                "ratelimit-limit": "100;w=21600",
              },
            }),
      ),
    );
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [])).toMatchObject({ ok: true });
    expect(seen.filter((s) => s.method === "HEAD")).toHaveLength(2);
    expect(r.stats().retries).toBe(1);
    expect(r.notes()).toEqual(["reg.test: 99 of 100 pulls left (per 6h); HEAD requests do not count"]);
  });

  it("429 with a Retry-After beyond the cap is not waited for", async () => {
    const { fetch, seen } = fakeFetch(
      plainRegistry(() => new Response("", { status: 429, headers: { "retry-after": "21600" } })),
    );
    const answer = await resolver(fetch).resolveTag(ref("reg.test/app:1"), []);
    expect(answer).toEqual({ ok: false, reason: "rate limited by the registry (429)" });
    expect(seen.filter((s) => s.method === "HEAD")).toHaveLength(1);
  });

  it("a Retry-After beyond the cap holds the registry's other images too: none is sent before it ends", async () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    const { fetch, seen } = fakeFetch(
      plainRegistry(() => new Response("", { status: 429, headers: { "retry-after": "3600" } })),
    );
    const r = resolver(fetch, { now: () => now });
    expect(await r.resolveTag(ref("reg.test/app:1"), [])).toEqual({
      ok: false,
      reason: "rate limited by the registry (429)",
    });
    const sent = seen.length;
    for (const image of ["reg.test/b:1", "reg.test/c:1"]) {
      expect(await r.resolveTag(ref(image), [])).toEqual({
        ok: false,
        reason:
          "reg.test: asked for no requests until 2026-11-30T13:00:00Z (it answered 429 with Retry-After)",
      });
    }
    expect(seen).toHaveLength(sent);
  });

  it("500 until the retries run out", async () => {
    const { fetch, seen } = fakeFetch(plainRegistry(() => new Response("oops", { status: 500 })));
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [])).toEqual({
      ok: false,
      reason: "the registry answered 500",
    });
    expect(seen.filter((s) => s.method === "HEAD")).toHaveLength(3);
  });

  it("a 503 to the API version check fails that image only: the next one asks again, and is answered", async () => {
    let busy = 3; // the first GET /v2/ and its two retries
    const { fetch, seen } = fakeFetch((request) => {
      if (new URL(request.url).pathname === "/v2/") {
        return busy-- > 0 ? new Response("", { status: 503 }) : new Response("{}", { status: 200 });
      }
      return new Response(null, {
        status: 200,
        headers: { "content-type": dockerManifest, "docker-content-digest": MANIFEST },
      });
    });
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/a:1"), [])).toEqual({
      ok: false,
      reason: "reg.test answered 503 to the API version check",
    });
    expect(await r.resolveTag(ref("reg.test/b:1"), [])).toMatchObject({
      ok: true,
      tag: { digest: MANIFEST },
    });
    expect(seen.filter((s) => s.url.endsWith("/v2/"))).toHaveLength(4);
  });

  it("a registry that never answers: timeout, retried, then every image of that host fails at once", async () => {
    const { fetch, seen } = fakeFetch(() => "hang");
    const r = resolver(fetch, { timeoutMs: 50 });
    const answers = await Promise.all(["a", "b", "c"].map((n) => r.resolveTag(ref(`reg.test/${n}:1`), [])));
    for (const answer of answers) {
      expect(answer).toEqual({ ok: false, reason: "reg.test: no answer within 50 ms (3 attempts)" });
    }
    expect(seen).toHaveLength(3);
  });

  it("a token server whose body is cut after its headers has answered: the next image asks it again", async () => {
    let cut = 3; // the first token request and its two retries
    const { fetch, seen } = fakeFetch((req) => {
      if (new URL(req.url).host !== "auth.test") {
        return req.authorization === "Bearer good"
          ? new Response(null, { status: 200, headers: { "docker-content-digest": MANIFEST } })
          : new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
      }
      if (cut-- <= 0) return new Response(JSON.stringify({ token: "good" }));
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"tok'));
          controller.error(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
        },
      });
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
    });
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/a:1"), [])).toMatchObject({ ok: false });
    expect(await r.resolveTag(ref("reg.test/b:1"), [])).toMatchObject({
      ok: true,
      tag: { digest: MANIFEST },
    });
    expect(seen.filter((s) => new URL(s.url).host === "auth.test")).toHaveLength(4);
  });

  it("a token server that never answers costs one timeout sequence, not one per repository", async () => {
    const { fetch, seen } = fakeFetch((req) =>
      new URL(req.url).host === "auth.test"
        ? "hang"
        : new Response("{}", { status: 401, headers: { "www-authenticate": bearer } }),
    );
    const r = resolver(fetch, { timeoutMs: 40, maxConcurrentPerHost: 2 });
    const names = Array.from({ length: 12 }, (_, i) => `app${i}`);
    const answers = await Promise.all(names.map((n) => r.resolveTag(ref(`reg.test/${n}:1`), [])));
    for (const answer of answers) expect(answer).toMatchObject({ ok: false });
    // Each repository has a scope of its own, so a token request of its own: only the first is sent.
    expect(seen.filter((s) => new URL(s.url).host === "auth.test")).toHaveLength(3);
  });

  it("a token server whose redirect leads where nothing answers has answered: its requests go side by side", async () => {
    const { fetch } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "sso.test") return "hang";
      if (url.host === "auth.test")
        return new Response(null, { status: 302, headers: { location: `https://sso.test${url.pathname}` } });
      return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
    });
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      const toAuth = new URL(String(input)).host === "auth.test";
      if (toAuth) most = Math.max(most, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        if (toAuth) inFlight--;
      }
    };
    const r = resolver(counting, { timeoutMs: 40, maxConcurrentPerHost: 3 });
    const names = Array.from({ length: 6 }, (_, i) => `app${i}`);
    const answers = await Promise.all(names.map((n) => r.resolveTag(ref(`reg.test/${n}:1`), [])));
    for (const answer of answers)
      expect(answer).toMatchObject({
        ok: false,
        reason: expect.stringContaining("redirected to https://sso.test"),
      });
    // Not one repository after another, each behind the others' timeouts and retries.
    expect(most).toBe(3);
  });

  it("a token server answering JSON that is no object: no token, said so; the next ask is asked again", async () => {
    let tokens = 0;
    const { fetch } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "auth.test")
        return new Response(++tokens === 1 ? "null" : JSON.stringify({ token: "t" }));
      if (req.authorization) return new Response(null, { headers: { "docker-content-digest": MANIFEST } });
      return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
    });
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [])).toMatchObject({
      ok: false,
      reason: expect.stringContaining("token server auth.test answered no token"),
    });
    expect(await r.resolveTag(ref("reg.test/app:2"), [])).toMatchObject({ ok: true });
  });

  it("a token server's first answer lets the requests waiting for it go on side by side", async () => {
    let inFlight = 0;
    let most = 0;
    const { fetch } = fakeFetch(async (req) => {
      const url = new URL(req.url);
      if (url.host !== "auth.test") {
        if (req.authorization) return new Response("{}", { status: 404 });
        return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
      }
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight--;
      return new Response(JSON.stringify({ token: "t" }));
    });
    const r = resolver(fetch, { maxConcurrentPerHost: 4 });
    const names = Array.from({ length: 9 }, (_, i) => `app${i}`);
    await Promise.all(names.map((n) => r.resolveTag(ref(`reg.test/${n}:1`), [])));
    expect(most).toBe(4);
  });

  it("a registry that answered before is only slow: given up on after three requests time out, not one", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/v2/") return new Response("{}", { status: 200 });
      if (path === "/v2/a/manifests/1") {
        return new Response(null, {
          headers: { "docker-content-digest": MANIFEST, "content-type": dockerManifest },
        });
      }
      return "hang";
    });
    const r = resolver(fetch, {
      timeoutMs: 50,
      retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 0 },
    });
    expect(await r.resolveTag(ref("reg.test/a:1"), [])).toMatchObject({ ok: true });
    const later: unknown[] = [];
    for (const name of ["b", "c", "d", "e"]) later.push(await r.resolveTag(ref(`reg.test/${name}:1`), []));
    const slow = { ok: false, reason: "reg.test: no answer within 50 ms" };
    expect(later).toEqual([slow, slow, slow, slow]);
    // b, c and d were each asked; e was not: by then the host counted as down.
    expect(kinds(seen)).toEqual([
      "GET /v2/",
      "HEAD /v2/a/manifests/1",
      "HEAD /v2/b/manifests/1",
      "HEAD /v2/c/manifests/1",
      "HEAD /v2/d/manifests/1",
    ]);
  });

  it("TLS trouble is not retried", async () => {
    const { fetch, seen } = fakeFetch(() => {
      throw Object.assign(new TypeError("fetch failed"), {
        cause: Object.assign(new Error("unable to verify the first certificate"), {
          code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        }),
      });
    });
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [])).toEqual({
      ok: false,
      reason: "reg.test: TLS error: unable to verify the first certificate",
    });
    expect(seen).toHaveLength(1);
  });

  it("connection reset is retried", async () => {
    const { fetch, seen } = fakeFetch((req, attempt) => {
      if (attempt === 1)
        throw Object.assign(new TypeError("fetch failed"), {
          cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
        });
      return req.url.endsWith("/v2/")
        ? new Response("{}")
        : new Response(null, { headers: { "docker-content-digest": MANIFEST } });
    });
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [])).toMatchObject({ ok: true });
    expect(seen).toHaveLength(4);
  });

  it("a malformed digest header, a manifest whose bytes do not match its digest, garbage bodies", async () => {
    const { fetch } = fakeFetch(
      plainRegistry((req) => {
        if (req.method === "HEAD")
          return new Response(null, { headers: { "docker-content-digest": "sha256:nothex" } });
        if (req.url.endsWith(INDEX))
          return new Response(indexBody.replace("amd64", "386"), { headers: { "content-type": ociIndex } });
        if (req.url.endsWith(MANIFEST))
          return new Response("<html>", { headers: { "content-type": "text/html" } });
        return new Response("");
      }),
    );
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [])).toEqual({
      ok: false,
      reason: 'the registry sent a malformed digest "sha256:nothex"',
    });
    expect(await r.inspectManifest(ref("reg.test/app:1"), INDEX, [])).toMatchObject({
      ok: false,
      reason: expect.stringContaining("has digest sha256:"),
    });
    expect(
      await r.inspectManifest(ref("reg.test/app:1"), "md5:0123456789abcdef0123456789abcdef", []),
    ).toMatchObject({ ok: false });
  });

  it("an aborted run stops asking", async () => {
    const { fetch } = fakeFetch(() => "hang");
    const controller = new AbortController();
    const pending = resolver(fetch, { timeoutMs: 10_000 }).resolveTag(
      ref("reg.test/app:1"),
      [],
      controller.signal,
    );
    setTimeout(() => controller.abort(new Error("SIGINT")), 20);
    expect(await pending).toEqual({ ok: false, reason: "interrupted" });
  });
});
