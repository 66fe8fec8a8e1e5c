/**
 * The registry resolver's protocol handling, against an in-process fake of the registry API and token
 * server (the real registry runs in test/integration/registry-*.test.ts). The fake answers like
 * distribution 2.8 does; each case bends one thing.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RegistryResolver } from "../../../../src/adapters/registry/resolver.js";
import { parseImageRef } from "../../../../src/core/image-ref.js";
import type { Credential } from "../../../../src/core/keyring.js";

const ociIndex = "application/vnd.oci.image.index.v1+json";
const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

const manifestBody = JSON.stringify({ schemaVersion: 2, mediaType: dockerManifest, config: {}, layers: [] });
const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const MANIFEST = sha(manifestBody);
const child = (n: string) => sha(`child ${n}`);
const indexBody = JSON.stringify({
  schemaVersion: 2,
  mediaType: ociIndex,
  manifests: [
    { digest: child("amd64"), platform: { os: "linux", architecture: "amd64" } },
    { digest: child("arm64"), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
  ],
});
const INDEX = sha(indexBody);

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: string;
}

type Handler = (req: Seen, attempt: number) => Response | Promise<Response> | "hang";

/** A fetch that records requests and answers from `handler`; "hang" never answers (until aborted). */
function fakeFetch(handler: Handler) {
  const seen: Seen[] = [];
  const counts = new Map<string, number>();
  const fetch = (async (input: URL | string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const req: Seen = {
      method: init.method ?? "GET",
      url: String(input),
      authorization: headers.get("authorization"),
      body: typeof init.body === "string" ? init.body : "",
    };
    seen.push(req);
    const key = `${req.method} ${req.url}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const answer = await handler(req, counts.get(key)!);
    if (answer === "hang") {
      return new Promise<Response>((_, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      });
    }
    return answer;
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

const bearer = 'Bearer realm="https://auth.test/token",service="reg.test"';

/** distribution with `auth: token`: tokens name the user; user "ci" may pull everything, anonymous only "pub". */
function tokenRegistry(
  manifests: Record<string, { body: string; type: string }>,
  options: { noDigest?: boolean } = {},
) {
  return (req: Seen): Response => {
    const url = new URL(req.url);
    if (url.host === "auth.test") {
      if (req.method === "POST") {
        const form = new URLSearchParams(req.body);
        if (form.get("refresh_token") !== "refresh-ci")
          return new Response('{"details":"bad"}', { status: 401 });
        return Response.json({ access_token: `tok:ci:${form.get("scope")}`, expires_in: 300 });
      }
      const scope = url.searchParams.get("scope");
      if (!req.authorization) return Response.json({ token: `tok:anon:${scope}` });
      const [user, password] = Buffer.from(req.authorization.slice(6), "base64").toString().split(":");
      if (user !== "ci" || password !== "pw") return new Response('{"details":"incorrect"}', { status: 401 });
      return Response.json({ token: `tok:ci:${scope}`, expires_in: 300 });
    }
    if (url.pathname === "/v2/")
      return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
    const m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname);
    if (!m) return new Response("", { status: 404 });
    const [, repo, reference] = m as unknown as [string, string, string];
    const token = req.authorization?.replace(/^Bearer /, "") ?? "";
    const [, who, scope] = token.split(":", 3).length === 3 ? (token.match(/^tok:(\w+):(.*)$/) ?? []) : [];
    const allowed = scope === `repository:${repo}:pull` && (who === "ci" || repo === "pub");
    if (!allowed) {
      return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
        status: 401,
        headers: {
          "www-authenticate": `${bearer},scope="repository:${repo}:pull",error="insufficient_scope"`,
        },
      });
    }
    const found =
      manifests[`${repo}:${reference}`] ?? Object.values(manifests).find((x) => sha(x.body) === reference);
    if (!found)
      return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', {
        status: 404,
      });
    const headers: Record<string, string> = { "content-type": found.type };
    if (!options.noDigest) headers["docker-content-digest"] = sha(found.body);
    return new Response(req.method === "HEAD" ? null : found.body, { status: 200, headers });
  };
}

function resolver(
  fetch: typeof globalThis.fetch,
  extra: Partial<ConstructorParameters<typeof RegistryResolver>[0]> = {},
) {
  return new RegistryResolver({
    isInsecure: () => false,
    timeoutMs: 2000,
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    fetch,
    random: () => 0.5,
    ...extra,
  });
}

const ci: Credential = { username: "ci", password: "pw", source: "secret default/regcred" };
const wrong: Credential = { username: "ci", password: "nope", source: "secret default/old" };
const ref = (image: string) => parseImageRef(image);
const kinds = (seen: Seen[]) =>
  seen.map((s) => `${s.method} ${new URL(s.url).host === "auth.test" ? "token" : new URL(s.url).pathname}`);

describe("registry resolver: tag → digest", () => {
  it("one version check per host, one token and one HEAD per reference; the index type from Content-Type", async () => {
    const { fetch, seen } = fakeFetch(
      tokenRegistry({
        "app:1": { body: manifestBody, type: dockerManifest },
        "app:multi": { body: indexBody, type: ociIndex },
      }),
    );
    const r = resolver(fetch);
    const [single, multi] = await Promise.all([
      r.resolveTag(ref("reg.test/app:1"), [ci]),
      r.resolveTag(ref("reg.test/app:multi"), [ci]),
    ]);
    expect(single).toEqual({ ok: true, tag: { digest: MANIFEST, sameImageDigests: [], isIndex: false } });
    expect(multi).toEqual({ ok: true, tag: { digest: INDEX, sameImageDigests: [], isIndex: true } });
    expect(kinds(seen).sort()).toEqual([
      "GET /v2/",
      "GET token",
      "HEAD /v2/app/manifests/1",
      "HEAD /v2/app/manifests/multi",
    ]);
    expect(r.stats()).toEqual({ ping: 1, head: 2, get: 0, blob: 0, token: 1, retries: 0 });
    expect(seen.find((s) => s.method === "HEAD")!.authorization).toBe("Bearer tok:ci:repository:app:pull");
    expect(seen.every((s) => s.url.startsWith("https://"))).toBe(true);
  });

  it("asks with the full Accept list, and reaches Docker Hub at registry-1.docker.io", async () => {
    const accepts: string[] = [];
    const { fetch, seen } = fakeFetch((req) => {
      if (req.method === "HEAD")
        return new Response(null, { status: 200, headers: { "docker-content-digest": MANIFEST } });
      return new Response("{}", { status: 200 });
    });
    const spy = (async (input: URL | string, init?: RequestInit) => {
      accepts.push(new Headers(init?.headers).get("accept") ?? "");
      return fetch(input, init);
    }) as typeof globalThis.fetch;
    const answer = await resolver(spy).resolveTag(ref("nginx"), []);
    expect(answer).toMatchObject({ ok: true, tag: { digest: MANIFEST, isIndex: null } });
    expect(seen.map((s) => s.url)).toEqual([
      "https://registry-1.docker.io/v2/",
      "https://registry-1.docker.io/v2/library/nginx/manifests/latest",
    ]);
    expect(accepts[1]).toContain(ociIndex);
    expect(accepts[1]).toContain("application/vnd.docker.distribution.manifest.list.v2+json");
  });

  it("without Docker-Content-Digest: GET the tag and hash its exact bytes; the index is then known", async () => {
    const { fetch, seen } = fakeFetch(
      tokenRegistry({ "app:multi": { body: indexBody, type: ociIndex } }, { noDigest: true }),
    );
    const r = resolver(fetch);
    const answer = await r.resolveTag(ref("reg.test/app:multi"), [ci]);
    expect(answer).toEqual({ ok: true, tag: { digest: INDEX, sameImageDigests: [], isIndex: true } });
    const info = await r.inspectManifest(ref("reg.test/app:multi"), INDEX, [ci]);
    expect(info).toMatchObject({
      ok: true,
      isIndex: true,
      children: [{ platform: "linux/amd64" }, { platform: "linux/arm64/v8" }],
    });
    expect(kinds(seen).filter((k) => k.includes("manifests"))).toEqual([
      "HEAD /v2/app/manifests/multi",
      "GET /v2/app/manifests/multi",
    ]);
  });

  it("405 on HEAD: GET instead", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      if (req.url.endsWith("/v2/")) return new Response("{}");
      if (req.method === "HEAD") return new Response(null, { status: 405 });
      return new Response(manifestBody, { headers: { "content-type": dockerManifest } });
    });
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [])).toMatchObject({
      ok: true,
      tag: { digest: MANIFEST, isIndex: false },
    });
    expect(seen.map((s) => s.method)).toEqual(["GET", "HEAD", "GET"]);
  });

  it("plain http only for hosts it is told are insecure", async () => {
    const { fetch, seen } = fakeFetch(
      () => new Response(null, { status: 200, headers: { "docker-content-digest": MANIFEST } }),
    );
    await resolver(fetch, { isInsecure: (h) => h === "localhost:5000" }).resolveTag(
      ref("localhost:5000/app"),
      [],
    );
    expect(seen.map((s) => s.url)).toEqual([
      "http://localhost:5000/v2/",
      "http://localhost:5000/v2/app/manifests/latest",
    ]);
  });
});

describe("registry resolver: credentials", () => {
  const manifests = {
    "app:1": { body: manifestBody, type: dockerManifest },
    "pub:1": { body: manifestBody, type: dockerManifest },
  };

  it("anonymous token for a public repository when no credential matches", async () => {
    const { fetch, seen } = fakeFetch(tokenRegistry(manifests));
    expect(await resolver(fetch).resolveTag(ref("reg.test/pub:1"), [])).toMatchObject({ ok: true });
    const token = seen.find((s) => new URL(s.url).host === "auth.test")!;
    expect(token.authorization).toBeNull();
    expect(new URL(token.url).searchParams.get("service")).toBe("reg.test");
    expect(new URL(token.url).searchParams.get("scope")).toBe("repository:app:pull".replace("app", "pub"));
  });

  it("tries each credential in order until one works, and says which failed", async () => {
    const { fetch } = fakeFetch(tokenRegistry(manifests));
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [wrong, ci])).toMatchObject({ ok: true });
    const denied = await r.resolveTag(ref("reg.test/app:1"), [wrong]);
    expect(denied).toEqual({
      ok: false,
      reason: "access denied: token server auth.test answered 401: incorrect (with secret default/old)",
    });
    const anonymous = await r.resolveTag(ref("reg.test/app:1"), []);
    expect(anonymous).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^access denied: 401 unauthorized \(anonymous\); no credential matches reg.test$/,
      ),
    });
  });

  it("identity token: OAuth2 refresh_token grant; registry token: sent as the Bearer token", async () => {
    const { fetch, seen } = fakeFetch(tokenRegistry(manifests));
    const r = resolver(fetch);
    expect(
      await r.resolveTag(ref("reg.test/app:1"), [{ identityToken: "refresh-ci", source: "helper" }]),
    ).toMatchObject({ ok: true });
    const post = seen.find((s) => s.method === "POST")!;
    expect(Object.fromEntries(new URLSearchParams(post.body))).toEqual({
      grant_type: "refresh_token",
      refresh_token: "refresh-ci",
      service: "reg.test",
      scope: "repository:app:pull",
      client_id: "kubectl-autoupdate",
    });
    const { fetch: f2, seen: s2 } = fakeFetch(tokenRegistry(manifests));
    const viaRegistryToken = await resolver(f2).resolveTag(ref("reg.test/app:1"), [
      { registryToken: "tok:ci:repository:app:pull", source: "config" },
    ]);
    expect(viaRegistryToken).toMatchObject({ ok: true });
    expect(s2.some((s) => new URL(s.url).host === "auth.test")).toBe(false);
  });

  it("caches a token per realm/service/scope/credential until it expires", async () => {
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const { fetch, seen } = fakeFetch(tokenRegistry(manifests));
      const r = resolver(fetch);
      await r.resolveTag(ref("reg.test/app:1"), [ci]);
      await r.inspectManifest(ref("reg.test/app:1"), MANIFEST, [ci]);
      expect(seen.filter((s) => new URL(s.url).host === "auth.test")).toHaveLength(1);
      now += 301_000;
      await r.inspectManifest(ref("reg.test/app:other"), MANIFEST.replace(/.$/, "0"), [ci]);
      expect(seen.filter((s) => new URL(s.url).host === "auth.test")).toHaveLength(2);
    } finally {
      Date.now = realNow;
    }
  });

  it("a cached token the registry refuses before it expires: dropped, and one new token fetched", async () => {
    // Tokens carry a generation (#1, #2…); the registry stops honouring #1 after the first HEAD (revoked).
    const inner = tokenRegistry(manifests);
    let issued = 0;
    let revoked = 0;
    const { fetch, seen } = fakeFetch(async (req) => {
      if (new URL(req.url).host === "auth.test") {
        const answer = (await inner(req).json()) as { token: string };
        return Response.json({ token: `${answer.token}#${++issued}`, expires_in: 300 });
      }
      const [token, generation] = (req.authorization ?? "").split("#");
      if (generation !== undefined && Number(generation) <= revoked) {
        return new Response("", { status: 401, headers: { "www-authenticate": bearer } });
      }
      return inner({ ...req, authorization: token ?? null });
    });
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({ ok: true });
    revoked = 1;
    expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({ ok: true });
    expect(kinds(seen)).toEqual([
      "GET /v2/",
      "GET token",
      "HEAD /v2/app/manifests/1",
      "HEAD /v2/app/manifests/1",
      "GET token",
      "HEAD /v2/app/manifests/1",
    ]);
    // A token fetched just now and refused is not fetched again: that is a denial, not a stale cache.
    revoked = 99;
    expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({ ok: false });
    expect(kinds(seen).slice(6)).toEqual([
      "HEAD /v2/app/manifests/1",
      "GET token",
      "HEAD /v2/app/manifests/1",
    ]);
  });

  it("Basic challenge: username and password on the request itself", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      if (req.url.endsWith("/v2/"))
        return new Response("{}", { status: 401, headers: { "www-authenticate": 'Basic realm="x"' } });
      if (req.authorization !== `Basic ${Buffer.from("ci:pw").toString("base64")}`)
        return new Response("", { status: 401 });
      return new Response(null, { headers: { "docker-content-digest": MANIFEST } });
    });
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [wrong, ci])).toMatchObject({ ok: true });
    expect(seen.filter((s) => s.method === "HEAD")).toHaveLength(2);
  });

  it("a registry whose /v2/ is open but whose manifests want a token: learned once for the host", async () => {
    const handler = tokenRegistry({
      "app:1": { body: manifestBody, type: dockerManifest },
      "app:2": { body: manifestBody, type: dockerManifest },
    });
    const { fetch, seen } = fakeFetch((req) =>
      req.url.endsWith("/v2/") ? new Response("{}") : handler(req),
    );
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({ ok: true });
    expect(await r.resolveTag(ref("reg.test/app:2"), [ci])).toMatchObject({ ok: true });
    expect(kinds(seen)).toEqual([
      "GET /v2/",
      "HEAD /v2/app/manifests/1",
      "GET token",
      "HEAD /v2/app/manifests/1",
      "HEAD /v2/app/manifests/2",
    ]);
  });

  it("a Basic challenge with no credential: one request, not a second anonymous one", async () => {
    const { fetch, seen } = fakeFetch((req) =>
      req.url.endsWith("/v2/")
        ? new Response("{}")
        : new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="x"' } }),
    );
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [])).toEqual({
      ok: false,
      reason: "access denied: 401 unauthorized (anonymous); no credential matches reg.test",
    });
    expect(seen.filter((s) => s.method === "HEAD")).toHaveLength(1);
  });

  it("never sends credentials to a plain-http token realm on a host that is not allowed it", async () => {
    const { fetch, seen } = fakeFetch((req) =>
      req.url.endsWith("/v2/")
        ? new Response("{}", {
            status: 401,
            headers: { "www-authenticate": 'Bearer realm="http://evil.test/token"' },
          })
        : new Response("", { status: 500 }),
    );
    const answer = await resolver(fetch).resolveTag(ref("reg.test/app:1"), [ci]);
    expect(answer).toMatchObject({
      ok: false,
      reason: expect.stringContaining("refusing to send credentials over plain http"),
    });
    expect(seen.some((s) => s.url.startsWith("http://evil.test"))).toBe(false);
  });
});

describe("registry resolver: faults end in { ok: false }, never a throw or a guess", () => {
  const plainRegistry =
    (manifest: (req: Seen, attempt: number) => Response | "hang") => (req: Seen, attempt: number) =>
      req.url.endsWith("/v2/") ? new Response("{}") : manifest(req, attempt);

  it("404", async () => {
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

  it("500 until the retries run out", async () => {
    const { fetch, seen } = fakeFetch(plainRegistry(() => new Response("oops", { status: 500 })));
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [])).toEqual({
      ok: false,
      reason: "the registry answered 500",
    });
    expect(seen.filter((s) => s.method === "HEAD")).toHaveLength(3);
  });

  it("a registry that never answers: timeout, retried, then every image of that host fails at once", async () => {
    const { fetch, seen } = fakeFetch(() => "hang");
    const r = resolver(fetch, { timeoutMs: 50 });
    const started = Date.now();
    const answers = await Promise.all(["a", "b", "c"].map((n) => r.resolveTag(ref(`reg.test/${n}:1`), [])));
    expect(Date.now() - started).toBeLessThan(1000);
    for (const answer of answers) {
      expect(answer).toEqual({ ok: false, reason: "reg.test: no answer within 50 ms (3 attempts)" });
    }
    expect(seen).toHaveLength(3);
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

describe("registry resolver: limits", () => {
  it("never has more requests in flight than the per-host limit", async () => {
    let inFlight = 0;
    let peak = 0;
    const { fetch } = fakeFetch(async (req) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return req.url.endsWith("/v2/")
        ? new Response("{}")
        : new Response(null, { headers: { "docker-content-digest": MANIFEST } });
    });
    const r = resolver(fetch, { maxConcurrentPerHost: 3, maxConcurrent: 10 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => r.resolveTag(ref(`reg.test/app:${i}`), [])),
    );
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(peak).toBe(3);
    expect(r.stats()).toMatchObject({ ping: 1, head: 20 });
  });
});
