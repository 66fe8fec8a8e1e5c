/**
 * The registry resolver's protocol handling, against an in-process fake of the registry API and token server
 * (test/support/registry/fake-api.ts; the real registry runs in test/integration/registry/): tag to digest,
 * and the request limits. Credentials and faults have their own files beside this one.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ci,
  dockerManifest,
  fakeFetch,
  INDEX,
  indexBody,
  kinds,
  MANIFEST,
  manifestBody,
  ociIndex,
  ref,
  resolver,
  type Seen,
  tokenRegistry,
} from "../../../support/registry/fake-api.js";

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
      // Not read by digest: a 404 of another digest would not prove the registry lost it.
      readByTag: true,
    });
    expect(kinds(seen).filter((k) => k.includes("manifests"))).toEqual([
      "HEAD /v2/app/manifests/multi",
      "GET /v2/app/manifests/multi",
    ]);
  });

  it.each([
    ["empty", [""]],
    ["sent twice, the same", [MANIFEST, MANIFEST]],
    ["sent twice, two digests", [MANIFEST, INDEX]],
  ])(
    "a Docker-Content-Digest %s: one digest, or a GET and its hash where it names none",
    async (_, values) => {
      const { fetch, seen } = fakeFetch((req) => {
        const headers = new Headers({ "content-type": dockerManifest });
        if (req.method === "HEAD") for (const value of values) headers.append("docker-content-digest", value);
        return new Response(req.method === "HEAD" ? null : manifestBody, { status: 200, headers });
      });
      const answer = await resolver(fetch).resolveTag(ref("reg.test/app:1"), []);
      expect(answer).toEqual({ ok: true, tag: { digest: MANIFEST, sameImageDigests: [], isIndex: false } });
      const read = kinds(seen).includes("GET /v2/app/manifests/1");
      expect(read).toBe(new Set(values).size !== 1 || values[0] === "");
    },
  );

  it("a manifest read by tag: what its body is decides whether it is an index, not its Content-Type", async () => {
    // A proxy cache that labels an index a single manifest (and the other way round).
    const { fetch } = fakeFetch(
      tokenRegistry(
        {
          "app:multi": { body: indexBody, type: dockerManifest },
          "app:1": { body: manifestBody, type: ociIndex },
        },
        { noDigest: true },
      ),
    );
    const r = resolver(fetch);
    expect(await r.resolveTag(ref("reg.test/app:multi"), [ci])).toMatchObject({
      ok: true,
      tag: { digest: INDEX, isIndex: true },
    });
    expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toMatchObject({
      ok: true,
      tag: { digest: MANIFEST, isIndex: false },
    });
  });

  it.each([405, 501])("%i on HEAD (not allowed, not implemented): GET instead", async (status) => {
    const { fetch, seen } = fakeFetch((req) => {
      if (req.url.endsWith("/v2/")) return new Response("{}");
      if (req.method === "HEAD") return new Response(null, { status });
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

describe("registry resolver: manifests by digest", () => {
  const config = JSON.stringify({ architecture: "arm64", variant: "v8", os: "linux" });
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: dockerManifest,
    config: { digest: configDigest },
    layers: [],
  });
  const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  const registry = () =>
    fakeFetch((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/v2/") return new Response("{}");
      if (path === `/v2/app/manifests/${digest}`)
        return new Response(body, { headers: { "content-type": dockerManifest } });
      if (path === `/v2/app/blobs/${configDigest}`) return new Response(config);
      return new Response("", { status: 404 });
    });
  const reads = (seen: Seen[]) => kinds(seen).filter((k) => k !== "GET /v2/");

  it("a manifest read plainly and then for its platform is fetched once; its config blob once", async () => {
    const { fetch, seen } = registry();
    const r = resolver(fetch);
    const image = ref("reg.test/app");
    expect(await r.inspectManifest(image, digest, [])).toEqual({
      ok: true,
      isIndex: false,
      config: configDigest,
    });
    expect(await r.inspectManifest(image, digest, [], { platform: true })).toEqual({
      ok: true,
      isIndex: false,
      config: configDigest,
      platform: "linux/arm64/v8",
    });
    expect(reads(seen)).toEqual([`GET /v2/app/manifests/${digest}`, `GET /v2/app/blobs/${configDigest}`]);
  });

  it("a manifest the registry does not have is missing; one it fails to give is not", async () => {
    const gone = `sha256:${"9".repeat(64)}`;
    const { fetch } = fakeFetch((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/v2/") return new Response("{}");
      if (path === `/v2/app/manifests/${gone}`) return new Response("", { status: 404 });
      return new Response("", { status: 503 });
    });
    const r = resolver(fetch, {
      retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    });
    expect(await r.inspectManifest(ref("reg.test/app"), gone, [])).toEqual({
      ok: false,
      reason: `${gone} not found (404)`,
      missing: true,
    });
    expect(await r.inspectManifest(ref("reg.test/app"), digest, [])).toEqual({
      ok: false,
      reason: "the registry answered 503",
    });
  });

  it("a config that cannot be read fails the platform read, not the plain one", async () => {
    const { fetch } = fakeFetch((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/v2/") return new Response("{}");
      if (path === `/v2/app/manifests/${digest}`)
        return new Response(body, { headers: { "content-type": dockerManifest } });
      return new Response("", { status: 503 });
    });
    const r = resolver(fetch, {
      retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    });
    const image = ref("reg.test/app");
    expect(await r.inspectManifest(image, digest, [], { platform: true })).toEqual({
      ok: false,
      reason: "its config, for its platform: the registry answered 503",
    });
    expect(await r.inspectManifest(image, digest, [])).toEqual({
      ok: true,
      isIndex: false,
      config: configDigest,
    });
  });

  it("a manifest read for its platform answers a later plain read without a request", async () => {
    const { fetch, seen } = registry();
    const r = resolver(fetch);
    const image = ref("reg.test/app");
    await r.inspectManifest(image, digest, [], { platform: true });
    expect(await r.inspectManifest(image, digest, [])).toMatchObject({
      ok: true,
      platform: "linux/arm64/v8",
    });
    expect(reads(seen)).toEqual([`GET /v2/app/manifests/${digest}`, `GET /v2/app/blobs/${configDigest}`]);
  });
});
