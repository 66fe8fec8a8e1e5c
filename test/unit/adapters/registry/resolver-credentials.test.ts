/** The registry resolver's credentials, against the in-process fake of the registry API and token server. */
import { describe, expect, it } from "vitest";
import {
  bearer,
  ci,
  dockerManifest,
  fakeFetch,
  kinds,
  MANIFEST,
  manifestBody,
  ref,
  resolver,
  type Seen,
  tokenRegistry,
  wrong,
} from "../../../support/registry/fake-api.js";

describe("registry resolver: a registry that hides a repository from a credential behind a 404", () => {
  const DIGEST = `sha256:${"a".repeat(64)}`;
  const basicFor = (user: string) => `Basic ${Buffer.from(`${user}:pw`).toString("base64")}`;
  const other = { username: "other", password: "pw", source: "secret ns-b/other" };
  const reader = { username: "reader", password: "pw", source: "secret ns-a/reader" };
  // Artifactory's default, some Harbor and GitLab setups: what a credential may not see is not found.
  const hiding = () =>
    fakeFetch((req) => {
      const url = new URL(req.url);
      const challenge = { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } };
      if (url.pathname === "/v2/") return new Response("", challenge);
      if (req.authorization === basicFor("reader")) {
        const headers = { "content-type": dockerManifest, "docker-content-digest": DIGEST };
        return new Response(req.method === "HEAD" ? null : manifestBody, { status: 200, headers });
      }
      if (req.authorization === basicFor("other")) {
        return new Response('{"errors":[{"code":"NAME_UNKNOWN"}]}', { status: 404 });
      }
      return new Response("", challenge);
    });

  it("the next credential is tried, as the kubelet tries each", async () => {
    const { fetch } = hiding();
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [other, reader])).toMatchObject({
      ok: true,
    });
  });

  it("a 404 is no credential that worked: it is not put first for the repository's other images", async () => {
    const { fetch } = hiding();
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [other])).toMatchObject({ ok: false });
    expect(await r.resolveTag(ref("reg.test/app:2"), [reader, other])).toMatchObject({ ok: true });
    const running = await r.inspectManifest(ref("reg.test/app:2"), `sha256:${"b".repeat(64)}`, [
      reader,
      other,
    ]);
    expect(running).not.toMatchObject({ missing: true });
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

  it.each([
    [
      "down (503)",
      new Response("upstream unavailable", { status: 503 }),
      "answered 503: upstream unavailable",
    ],
    ["limiting its rate (429)", new Response("", { status: 429 }), "answered 429"],
  ])("a token server %s did not deny the credential: not said as access denied", async (_, answer, said) => {
    const { fetch } = fakeFetch((req) =>
      new URL(req.url).host === "auth.test"
        ? answer.clone()
        : new Response("{}", { status: 401, headers: { "www-authenticate": bearer } }),
    );
    const failed = await resolver(fetch).resolveTag(ref("reg.test/app:1"), [ci]);
    expect(failed).toEqual({
      ok: false,
      reason: `could not get access: token server auth.test ${said} (with ${ci.source})`,
    });
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

  it("the credential that worked for a repository goes first for its other tags, under any secret's name", async () => {
    const { fetch, seen } = fakeFetch(
      tokenRegistry({ ...manifests, "app:2": { body: manifestBody, type: dockerManifest } }),
    );
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({ ok: true });
    const before = seen.length;
    // The same secret copied into another namespace, after a rotated-out one there.
    const copy = { ...ci, source: "secret shop/regcred" };
    expect(await r.resolveTag(ref("reg.test/app:2"), [wrong, copy])).toMatchObject({ ok: true });
    const wrongPair = `Basic ${Buffer.from(`${wrong.username}:${wrong.password}`).toString("base64")}`;
    expect(seen.slice(before).filter((s) => s.authorization === wrongPair)).toEqual([]);
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

  it("an error body after the credential was accepted (404, 429, 5xx) echoes it: blanked out of the reason", async () => {
    const pair = Buffer.from("ci:pw").toString("base64");
    const { fetch } = fakeFetch((req) => {
      if (req.url.endsWith("/v2/"))
        return new Response("{}", { status: 401, headers: { "www-authenticate": 'Basic realm="x"' } });
      // No digest on the HEAD, so the manifest is read: that GET's error body is what a reason keeps.
      if (req.method === "HEAD") return new Response(null);
      return new Response(`{"message":"upstream failed for ${req.authorization}"}`, { status: 502 });
    });
    const retry = { retries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 };
    const answer = await resolver(fetch, { retry }).resolveTag(ref("reg.test/app:1"), [ci]);
    expect(answer).toEqual({
      ok: false,
      reason: "the registry answered 502: upstream failed for Basic <redacted>",
    });
    expect(JSON.stringify(answer)).not.toContain(pair);
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

  it("takes access_token where a token server sends it beside token, as containerd and docker do", async () => {
    const { fetch } = fakeFetch((req) => {
      if (new URL(req.url).pathname === "/token")
        return Response.json({ token: "other", access_token: "tok" });
      if (req.authorization !== "Bearer tok")
        return new Response("", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://reg.test/token",service="reg"' },
        });
      return new Response(null, { headers: { "docker-content-digest": MANIFEST } });
    });
    expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({
      ok: true,
      tag: { digest: MANIFEST },
    });
  });

  it("sends them to a plain-http realm on the host and port --insecure-registry names (`reg.test:80`)", async () => {
    const allowed = new Set(["reg.test:80"]);
    const { fetch, seen } = fakeFetch((req) => {
      if (new URL(req.url).pathname === "/token") return Response.json({ token: "tok" });
      if (req.authorization !== "Bearer tok")
        return new Response("", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="http://reg.test:80/token",service="reg"' },
        });
      return new Response(null, { headers: { "docker-content-digest": MANIFEST } });
    });
    const isInsecure = (host: string) => allowed.has(host);
    const answer = await resolver(fetch, { isInsecure }).resolveTag(ref("reg.test:80/app:1"), [ci]);
    expect(answer).toMatchObject({ ok: true, tag: { digest: MANIFEST } });
    expect(
      seen.some((s) => s.url === "http://reg.test/token?service=reg&scope=repository%3Aapp%3Apull"),
    ).toBe(true);
  });

  describe("an answer of another origin a redirect led to (a CDN, an object store)", () => {
    const registry = tokenRegistry({
      "app:1": { body: manifestBody, type: dockerManifest },
      "app:2": { body: manifestBody, type: dockerManifest },
    });
    const foreign = 'Bearer realm="https://evil.test/token",service="cdn.test"';
    const evilToken = () => Response.json({ token: "evil" });
    const toEvil = (seen: Seen[]) => seen.filter((s) => new URL(s.url).host === "evil.test");

    it("a 401 or 403 there: the request fails naming it; a challenge is neither answered nor kept for the host", async () => {
      const { fetch, seen } = fakeFetch((req) => {
        const url = new URL(req.url);
        if (url.host === "evil.test") return evilToken();
        if (url.pathname === "/expired") return new Response("", { status: 403 });
        if (url.host === "cdn.test")
          return new Response("", { status: 401, headers: { "www-authenticate": foreign } });
        if (url.pathname === "/v2/app/manifests/1")
          return new Response(null, { status: 307, headers: { location: "https://cdn.test/m/1" } });
        if (url.pathname === "/v2/app/manifests/3")
          return new Response(null, { status: 307, headers: { location: "https://cdn.test/expired" } });
        return registry(req);
      });
      const r = resolver(fetch);
      expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toEqual({
        ok: false,
        reason: "the registry redirected to cdn.test, which answered 401",
      });
      expect(await r.resolveTag(ref("reg.test/app:2"), [ci])).toMatchObject({ ok: true });
      // Not the credential's fault: not put down to it, and no other credential is tried for it.
      expect(await r.resolveTag(ref("reg.test/app:3"), [ci, wrong])).toEqual({
        ok: false,
        reason: "the registry redirected to cdn.test, which answered 403",
      });
      expect(toEvil(seen)).toEqual([]);
      expect(
        seen.filter((s) => s.authorization?.startsWith("Basic")).map((s) => new URL(s.url).host),
      ).toEqual(["auth.test"]);
    });

    it("a 401 there for the version check: not the host's challenge; its manifests say what they want", async () => {
      const { fetch, seen } = fakeFetch((req) => {
        const url = new URL(req.url);
        if (url.host === "evil.test") return evilToken();
        if (url.host === "login.test")
          return new Response("", { status: 401, headers: { "www-authenticate": foreign } });
        if (url.pathname === "/v2/")
          return new Response(null, { status: 302, headers: { location: "https://login.test/" } });
        return registry(req);
      });
      expect(await resolver(fetch).resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({ ok: true });
      expect(toEvil(seen)).toEqual([]);
      expect(kinds(seen)).toEqual([
        "GET /v2/",
        "GET /",
        "HEAD /v2/app/manifests/1",
        "GET token",
        "HEAD /v2/app/manifests/1",
      ]);
    });
  });
});
