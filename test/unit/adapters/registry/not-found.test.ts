/**
 * Only the registry's own 404 says it does not have a manifest (`missing`), which running-image.ts turns
 * into "the running manifest is gone: its digest alone decides" (stale). Answers that only look like it — a
 * redirect's backend, a credential never heard — and answers over plain http are failures: unknown.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ci,
  dockerManifest,
  fakeFetch,
  manifestBody,
  ref,
  resolver,
  tokenRegistry,
  wrong,
} from "../../../support/registry/fake-api.js";

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const RUNNING = `sha256:${"b".repeat(64)}`;

describe("a 404 that is not the registry's", () => {
  it("a 404 from the origin a redirect led to (a regional backend, a CDN) is not the registry lacking the manifest", async () => {
    // registry.k8s.io redirects every manifest request to a regional Artifact Registry backend; a backend
    // that lacks a digest the registry has answers MANIFEST_UNKNOWN (kubernetes/registry.k8s.io#324).
    const { fetch } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "backend.test") {
        return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 });
      }
      if (url.pathname === "/v2/") return new Response("{}");
      return new Response(null, {
        status: 307,
        headers: { location: `https://backend.test${url.pathname}` },
      });
    });
    const answer = await resolver(fetch).inspectManifest(ref("reg.test/app:1"), RUNNING, []);
    expect(answer).toEqual({
      ok: false,
      reason: "the registry redirected to backend.test, which answered 404",
    });
  });

  it("the working credential's token request failed, the next credential got a 404: not 'missing'", async () => {
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const basic = (user: string) => `Basic ${Buffer.from(`${user}:pw`).toString("base64")}`;
      let tokenServerDown = false;
      const { fetch } = fakeFetch((req) => {
        const url = new URL(req.url);
        if (url.host === "auth.test") {
          if (req.authorization === basic("good")) {
            if (tokenServerDown) return new Response("", { status: 503 });
            return Response.json({ token: "tok-good", expires_in: 60 });
          }
          return Response.json({ token: "tok-other", expires_in: 60 });
        }
        const challenge = {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://auth.test/token",service="reg.test"' },
        };
        if (url.pathname === "/v2/") return new Response("{}", challenge);
        if (req.authorization === "Bearer tok-good") {
          if (url.pathname === "/v2/app/manifests/1") {
            const headers = { "content-type": dockerManifest, "docker-content-digest": sha(manifestBody) };
            return new Response(req.method === "HEAD" ? null : manifestBody, { headers });
          }
          if (url.pathname === `/v2/app/manifests/${RUNNING}`) {
            return new Response(manifestBody.replace("{}", '{"digest":"x"}'), {
              headers: { "content-type": dockerManifest },
            });
          }
        }
        // Artifactory's default, Harbor, GitLab: a repository this credential may not see is "not found".
        if (req.authorization === "Bearer tok-other") {
          return new Response('{"errors":[{"code":"NAME_UNKNOWN"}]}', { status: 404 });
        }
        return new Response("", challenge);
      });
      const good = { username: "good", password: "pw", source: "secret ns-a/good" };
      const other = { username: "other", password: "pw", source: "secret ns-b/other" };
      const r = resolver(fetch, { retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
      // The tag resolves with the good credential (the other one is hidden from the repository by a 404).
      expect(await r.resolveTag(ref("reg.test/app:1"), [other, good])).toMatchObject({ ok: true });
      // Minutes later (a big run), the token has expired and the token server has a hiccup.
      now += 120_000;
      tokenServerDown = true;
      const running = await r.inspectManifest(ref("reg.test/app:1"), RUNNING, [other, good]);
      expect(running.ok).toBe(false);
      // The good credential was never answered by the registry; "other" cannot see the repository at all.
      expect(running).not.toMatchObject({ missing: true });
      expect(running).toMatchObject({
        reason: expect.stringMatching(/whether the registry has it is not known$/),
      });
    } finally {
      Date.now = realNow;
    }
  });
});

describe("the consequence, through the verdict", () => {
  it("a regional backend's 404 for the running digest leaves a current pod unknown, never stale", async () => {
    const { judgeRunningDigest } = await import("../../../../src/core/running-image.js");
    const config = JSON.stringify({ os: "linux", architecture: "amd64" });
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: dockerManifest,
      config: { digest: sha(config) },
      layers: [],
    });
    const TAG = sha(body);
    const { fetch } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "eu.backend.test") return new Response("", { status: 404 });
      if (url.host === "us.backend.test") {
        if (url.pathname.endsWith(`/manifests/${TAG}`) || url.pathname.endsWith("/manifests/1"))
          return new Response(req.method === "HEAD" ? null : body, {
            headers: { "content-type": dockerManifest, "docker-content-digest": TAG },
          });
        if (url.pathname.endsWith(`/blobs/${sha(config)}`)) return new Response(config);
        return new Response("", { status: 404 });
      }
      if (url.pathname === "/v2/") return new Response("{}");
      // The redirector picks a backend per request; the running digest's request lands on one that lacks it.
      const backend = url.pathname.includes(RUNNING) ? "eu" : "us";
      return new Response(null, {
        status: 307,
        headers: { location: `https://${backend}.backend.test${url.pathname}` },
      });
    });
    const r = resolver(fetch);
    const image = ref("reg.test/app:1");
    const tag = await r.resolveTag(image, []);
    expect(tag).toMatchObject({ ok: true, tag: { digest: TAG } });
    if (!tag.ok) return;
    const manifests = new Map([
      [TAG, await r.inspectManifest(image, TAG, [], { platform: true })],
      [RUNNING, await r.inspectManifest(image, RUNNING, [], { platform: true })],
    ]);
    const verdict = judgeRunningDigest(
      { digest: RUNNING, repository: "reg.test/app" },
      "reg.test/app",
      tag.tag,
      manifests,
      undefined,
    );
    // Nothing proves the running image gone from the registry: unknown, never stale.
    expect(verdict).toMatchObject({ status: "unknown" });
  });
});

describe("plain http only for loopback and --insecure-registry hosts (README)", () => {
  it("a https registry's redirect to plain http: its answer is refused, whatever digest it names", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.pathname === "/v2/") return new Response("{}");
      if (url.protocol === "https:")
        return new Response(null, { status: 301, headers: { location: `http://reg.test${url.pathname}` } });
      // Anyone on the path of this plain-http request can name any digest.
      return new Response(null, {
        headers: { "content-type": dockerManifest, "docker-content-digest": `sha256:${"e".repeat(64)}` },
      });
    });
    const answer = await resolver(fetch).resolveTag(ref("reg.test/app:1"), []);
    expect(seen.some((s) => s.url.startsWith("http://reg.test/v2/app/manifests/1"))).toBe(true);
    expect(answer).toEqual({
      ok: false,
      reason: "the registry redirected to plain http (reg.test): refused",
    });
  });
});

describe("a redirect chain through another origin", () => {
  /** reg.test's manifest requests go through a plain-http hop, whose answer sends them where it likes. */
  const throughPlainHttp = (onward: (path: string) => string, digest = `sha256:${"e".repeat(64)}`) =>
    fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.pathname === "/v2/") return new Response("{}");
      if (url.host === "reg.test" && url.protocol === "https:" && !url.pathname.startsWith("/elsewhere"))
        return new Response(null, { status: 302, headers: { location: `http://reg.test${url.pathname}` } });
      if (url.protocol === "http:")
        return new Response(null, { status: 302, headers: { location: onward(url.pathname) } });
      if (url.host === "other.test")
        return new Response(null, {
          headers: { "content-type": dockerManifest, "docker-content-digest": digest },
        });
      return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 });
    });

  it("a tag's answer that went through plain http is refused, though the chain ended on https", async () => {
    const { fetch } = throughPlainHttp((path) => `https://other.test${path}`);
    const answer = await resolver(fetch).resolveTag(ref("reg.test/app:1"), []);
    expect(answer).toEqual({
      ok: false,
      reason: "the registry redirected to plain http (reg.test): refused",
    });
  });

  it("a 404 from the registry at a path another origin on the way sent it to is not the registry's own", async () => {
    const { fetch } = throughPlainHttp((path) => `https://reg.test/elsewhere${path}`);
    const answer = await resolver(fetch).inspectManifest(ref("reg.test/app:1"), RUNNING, []);
    expect(answer).toEqual({
      ok: false,
      reason: "the registry redirected to http://reg.test, which answered 404",
    });
  });
});

describe("a credential the token server turned down (401) was heard", () => {
  it("an expired pull secret before the working one: the tag's 404 is still the registry's (missing)", async () => {
    const { fetch } = fakeFetch(tokenRegistry({}));
    const answer = await resolver(fetch).resolveTag(ref("reg.test/app:gone"), [wrong, ci]);
    expect(answer).toMatchObject({ ok: false, missing: true });
  });
});

describe("a blob (config) the registry redirects to plain-http storage", () => {
  it("is read: it is checked against its digest, which no one on the way can forge", async () => {
    const config = JSON.stringify({ os: "linux", architecture: "amd64", created: "2026-01-01T00:00:00Z" });
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: dockerManifest,
      config: { digest: sha(config) },
      layers: [],
    });
    const { fetch } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "minio.test") return new Response(config);
      if (url.pathname === "/v2/") return new Response("{}");
      if (url.pathname.includes("/blobs/"))
        return new Response(null, { status: 307, headers: { location: `http://minio.test${url.pathname}` } });
      return new Response(req.method === "HEAD" ? null : body, {
        headers: { "content-type": dockerManifest, "docker-content-digest": sha(body) },
      });
    });
    const described = await resolver(fetch).describeImage(ref("reg.test/app:1"), sha(body), []);
    expect(described).toMatchObject({ ok: true, created: "2026-01-01T00:00:00Z" });
  });
});
