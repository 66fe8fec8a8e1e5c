/**
 * A registry whose blobs are redirected to storage elsewhere (Docker Hub's CDN, S3 for ECR): a failure
 * there is not the registry's. Against a registry on loopback, through the real HTTP client: its blob
 * redirects to https on a port that speaks plain http, a TLS error as a CDN out of reach would give.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryResolver } from "../../../../src/adapters/registry/resolver.js";
import { parseImageRef } from "../../../../src/core/image-ref.js";

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const config = JSON.stringify({ architecture: "amd64", os: "linux", created: "2025-01-01T00:00:00Z" });
const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.docker.distribution.manifest.v2+json",
  config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: sha(config), size: 1 },
  layers: [],
});
const MANIFEST = sha(manifest);

let server: http.Server;
let port = 0;
const asked: string[] = [];
beforeAll(async () => {
  server = http.createServer((request, response) => {
    const url = request.url ?? "";
    asked.push(`${request.method} ${url}`);
    if (url === "/v2/") return response.writeHead(200).end("{}");
    if (/^\/v2\/[abd]\/manifests\//.test(url)) {
      response.writeHead(200, {
        "content-type": "application/vnd.docker.distribution.manifest.v2+json",
        "docker-content-digest": MANIFEST,
        "content-length": Buffer.byteLength(manifest),
      });
      return response.end(request.method === "HEAD" ? undefined : manifest);
    }
    if (url.startsWith("/v2/c/manifests/"))
      return response.writeHead(302, { location: "ftp://mirror.test/c" }).end();
    // d's storage sends its headers, then cuts the body short: a CDN edge reset mid-transfer.
    if (url.startsWith("/v2/d/blobs/")) {
      return response.writeHead(307, { location: `http://localhost:${port}/storage/cut` }).end();
    }
    if (url === "/storage/cut") {
      response.writeHead(200, { "content-length": "1000" }).write("{");
      return void setTimeout(() => response.destroy(), 20);
    }
    if (url.startsWith("/v2/a/blobs/")) {
      return response.writeHead(307, { location: `https://127.0.0.1:${port}/storage/blob` }).end();
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("a failure where the registry's redirect led", () => {
  it("fails that read, naming where it led; the registry is not given up on: its next image is asked", async () => {
    const resolver = new RegistryResolver({
      isInsecure: () => true,
      timeoutMs: 2000,
      retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    });
    const described = await resolver.describeImage(parseImageRef(`127.0.0.1:${port}/a:1`), MANIFEST, []);
    expect(described).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`redirected to https://127.0.0.1:${port}: TLS error`),
    });
    const b = await resolver.resolveTag(parseImageRef(`127.0.0.1:${port}/b:1`), []);
    expect(asked).toContain("HEAD /v2/b/manifests/1");
    expect(b).toEqual({ ok: true, tag: { digest: MANIFEST, sameImageDigests: [], isIndex: false } });
  });

  it("a body cut short where the redirect led is that origin's failure too, however often", async () => {
    const resolver = new RegistryResolver({
      isInsecure: () => true,
      timeoutMs: 2000,
      retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    });
    for (let read = 0; read < 4; read++) {
      const described = await resolver.describeImage(parseImageRef(`127.0.0.1:${port}/d:1`), MANIFEST, []);
      expect(described).toMatchObject({
        ok: false,
        reason: expect.stringContaining(`redirected to http://localhost:${port}:`),
      });
    }
    expect(await resolver.resolveTag(parseImageRef(`127.0.0.1:${port}/b:1`), [])).toMatchObject({ ok: true });
  });

  it("a redirect this client will not follow (out of http) fails that image at once, not retried, the registry not given up on", async () => {
    const resolver = new RegistryResolver({
      isInsecure: () => true,
      timeoutMs: 2000,
      retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    });
    asked.length = 0;
    expect(await resolver.resolveTag(parseImageRef(`127.0.0.1:${port}/c:1`), [])).toMatchObject({
      ok: false,
      reason: expect.stringContaining("redirect to ftp: refused"),
    });
    expect(asked.filter((line) => line.includes("/v2/c/"))).toEqual(["HEAD /v2/c/manifests/1"]);
    expect(await resolver.resolveTag(parseImageRef(`127.0.0.1:${port}/b:1`), [])).toMatchObject({ ok: true });
  });
});
