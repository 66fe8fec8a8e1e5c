import { describe, expect, it } from "vitest";
import {
  convertToHostname,
  dockerServerAddress,
  helperCredential,
  localCredentialSources,
} from "../../src/adapters/credentials/docker-config.js";
import { mergeRateLimit, parseRateLimit, rateLimitNote } from "../../src/adapters/registry/rate-limit.js";
import {
  givesUpOnHost,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
} from "../../src/adapters/registry/retry-policy.js";
import {
  parseChallenges,
  pullScope,
  registryAuthScheme,
} from "../../src/adapters/registry/www-authenticate.js";
import {
  configDigestOf,
  configPlatform,
  isIndexMediaType,
  manifestAccept,
  readManifest,
} from "../../src/core/manifest.js";

describe("WWW-Authenticate", () => {
  it("reads a registry's Bearer challenge with quoted parameters", () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/nginx:pull",
        },
      },
    ]);
  });

  it("splits several challenges in one value and keeps commas inside quotes", () => {
    const parsed = parseChallenges(
      'Basic realm="a, b", Bearer realm="https://r.example/t",scope="repository:x:pull,push", error="insufficient_scope"',
    );
    expect(parsed.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(parsed[0]!.params).toEqual({ realm: "a, b" });
    expect(parsed[1]!.params["scope"]).toBe("repository:x:pull,push");
    expect(parsed[1]!.params["error"]).toBe("insufficient_scope");
  });

  it("handles escapes, unquoted values, case and garbage", () => {
    expect(parseChallenges('BEARER Realm=https://x/t, Service="s\\"q"')).toEqual([
      { scheme: "bearer", params: { realm: "https://x/t", service: 's"q' } },
    ]);
    expect(parseChallenges("")).toEqual([]);
    expect(parseChallenges("=,,=")).toEqual([]);
  });

  it("prefers Bearer with a realm over Basic; none when neither is usable", () => {
    expect(registryAuthScheme('Basic realm="x", Bearer realm="https://t/",service="s"')).toEqual({
      scheme: "bearer",
      realm: "https://t/",
      service: "s",
      scope: null,
    });
    expect(
      registryAuthScheme(
        'Basic realm="https://123.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
      ),
    ).toEqual({
      scheme: "basic",
    });
    expect(registryAuthScheme('Bearer service="no-realm"')).toBeNull();
    expect(registryAuthScheme("Negotiate abc")).toBeNull();
    expect(registryAuthScheme(null)).toBeNull();
    expect(pullScope("library/nginx")).toBe("repository:library/nginx:pull");
  });
});

describe("manifests", () => {
  it("asks for all four manifest types", () => {
    expect(manifestAccept.split(", ")).toEqual([
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.v2+json",
    ]);
  });

  it.each([
    ["application/vnd.oci.image.index.v1+json", true],
    ["application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8", true],
    ["application/vnd.oci.image.manifest.v1+json", false],
    ["application/vnd.docker.distribution.manifest.v2+json", false],
    ["application/json", null],
    [null, null],
  ])("content type %s → index %s", (type, expected) => {
    expect(isIndexMediaType(type)).toBe(expected);
  });

  it("reads an index's children with platforms, a single manifest, and refuses garbage", () => {
    const index = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        { digest: "sha256:a", platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { digest: "sha256:b", platform: { os: "linux", architecture: "amd64" } },
        { digest: "sha256:c", annotations: { "vnd.docker.reference.type": "attestation-manifest" } },
        { digest: "sha256:d", platform: { os: "unknown", architecture: "unknown" } },
        { digest: "sha256:e", platform: { os: "linux", architecture: "arm64" } },
        { digest: "sha256:f", platform: { os: "linux", architecture: "amd64", variant: "v1" } },
      ],
    };
    // Attestations are no platform a node runs; arm64 means arm64/v8, amd64/v1 means amd64.
    expect(configPlatform({ os: "linux", architecture: "arm64", config: {} })).toBe("linux/arm64/v8");
    expect(configPlatform({ architecture: "amd64" })).toBeNull();
    expect(configDigestOf({ config: { digest: "sha256:c0" } })).toBe("sha256:c0");
    expect(readManifest(JSON.stringify(index))).toEqual({
      ok: true,
      isIndex: true,
      children: [
        { digest: "sha256:a", platform: "linux/arm64/v8" },
        { digest: "sha256:b", platform: "linux/amd64" },
        { digest: "sha256:e", platform: "linux/arm64/v8" },
        { digest: "sha256:f", platform: "linux/amd64" },
      ],
    });
    expect(readManifest(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }))).toEqual({
      ok: true,
      isIndex: false,
      config: null,
    });
    const config = `sha256:${"c".repeat(64)}`;
    expect(
      readManifest(JSON.stringify({ schemaVersion: 2, config: { digest: config }, layers: [] })),
    ).toEqual({
      ok: true,
      isIndex: false,
      config,
    });
    expect(readManifest("<html>proxy error</html>")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("not JSON"),
    });
    expect(readManifest("[]")).toMatchObject({ ok: false });
    expect(readManifest('{"schemaVersion":1,"fsLayers":[]}')).toMatchObject({
      ok: false,
      reason: "unsupported manifest schemaVersion 1",
    });
  });
});

describe("retry policy", () => {
  const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

  it("retries timeouts, rate limits and transient server errors only", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 401, 403, 404, 405, 501].some(isRetryableStatus)).toBe(false);
  });

  it("backs off exponentially with jitter, capped, and stops after the last retry", () => {
    expect(retryDelay(policy, 0, 0)).toBe(50);
    expect(retryDelay(policy, 0, 1)).toBe(100);
    expect(retryDelay(policy, 1, 0.5)).toBe(150);
    expect(retryDelay(policy, 2, 1)).toBe(400);
    expect(retryDelay({ ...policy, retries: 9 }, 8, 1)).toBe(1000);
    expect(retryDelay(policy, 3, 0.5)).toBeNull();
  });

  it("waits at least Retry-After, and not at all when it is beyond the cap", () => {
    expect(retryDelay(policy, 0, 0, 2000)).toBe(2000);
    expect(retryDelay(policy, 0, 0, 6000)).toBeNull();
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(
      parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")),
    ).toBe(5000);
    expect(parseRetryAfter("soon", 0)).toBeNull();
    expect(parseRetryAfter(null, 0)).toBeNull();
  });
});

describe("Docker Hub rate limit", () => {
  it("parses the headers and keeps the lowest remaining count", () => {
    expect(parseRateLimit("100;w=21600")).toEqual({ count: 100, windowSeconds: 21600 });
    expect(parseRateLimit("76")).toEqual({ count: 76, windowSeconds: null });
    expect(parseRateLimit("x")).toBeNull();
    const first = mergeRateLimit(undefined, parseRateLimit("100;w=21600"), parseRateLimit("76;w=21600"));
    const later = mergeRateLimit(first, null, parseRateLimit("80;w=21600"));
    expect(later?.remaining.count).toBe(76);
    const lower = mergeRateLimit(later, null, parseRateLimit("75;w=21600"));
    expect(rateLimitNote("registry-1.docker.io", lower!)).toBe(
      "registry-1.docker.io: 75 of 100 pulls left (per 6h); HEAD requests do not count",
    );
    expect(mergeRateLimit(undefined, null, null)).toBeUndefined();
  });
});

describe("local docker config lookup (docker's order)", () => {
  const auth = (u: string) => ({ auth: Buffer.from(`${u}:pw-${u}`).toString("base64") });

  it("uses Docker Hub's historical server address and docker's ConvertToHostname", () => {
    expect(dockerServerAddress("docker.io")).toBe("https://index.docker.io/v1/");
    expect(dockerServerAddress("localhost:5000")).toBe("localhost:5000");
    expect(convertToHostname("https://reg.example.com:5000/v2/")).toBe("reg.example.com:5000");
    expect(convertToHostname("reg.example.com")).toBe("reg.example.com");
  });

  it("credHelpers[host], then credsStore, then auths", () => {
    const config = {
      credHelpers: { "reg.example.com": "ecr-login" },
      credsStore: "desktop",
      auths: { "https://reg.example.com/v1/": auth("file") },
    };
    expect(localCredentialSources(config, "reg.example.com")).toEqual([
      { kind: "helper", helper: "ecr-login", serverAddress: "reg.example.com", via: "credHelpers" },
      { kind: "helper", helper: "desktop", serverAddress: "reg.example.com", via: "credsStore" },
      { kind: "auths", credential: { username: "file", password: "pw-file", source: "docker config auths" } },
    ]);
    expect(localCredentialSources(config, "other.example.com")).toEqual([
      { kind: "helper", helper: "desktop", serverAddress: "other.example.com", via: "credsStore" },
    ]);
  });

  it("matches auths exactly, then by hostname; Docker Hub by its URL", () => {
    const config = {
      auths: {
        "https://index.docker.io/v1/": auth("hub"),
        "http://localhost:5000": auth("local"),
        "localhost:5001": { identitytoken: "idt" },
        "empty.example.com": {},
      },
    };
    const users = (domain: string) =>
      localCredentialSources(config, domain).map((s) => (s.kind === "auths" ? s.credential : s.helper));
    expect(users("docker.io")).toEqual([
      { username: "hub", password: "pw-hub", source: "docker config auths" },
    ]);
    expect(users("localhost:5000")).toEqual([
      { username: "local", password: "pw-local", source: "docker config auths" },
    ]);
    expect(users("localhost:5001")).toEqual([{ identityToken: "idt", source: "docker config auths" }]);
    expect(users("empty.example.com")).toEqual([]);
    expect(users("localhost:5002")).toEqual([]);
    expect(localCredentialSources({}, "docker.io")).toEqual([]);
  });

  it("reads helper answers; <token> means an identity token", () => {
    expect(helperCredential({ ServerURL: "x", Username: "AWS", Secret: "pw" }, "s")).toEqual({
      username: "AWS",
      password: "pw",
      source: "s",
    });
    expect(helperCredential({ Username: "<token>", Secret: "refresh" }, "s")).toEqual({
      identityToken: "refresh",
      source: "s",
    });
    expect(helperCredential({ Username: "u", Secret: "" }, "s")).toBeNull();
    expect(helperCredential(null, "s")).toBeNull();
  });
});

describe("giving up on a registry host", () => {
  it("at once when the failure is permanent or the host never answered; after three failures otherwise", () => {
    expect(givesUpOnHost({ permanent: true, answeredBefore: true, failures: 1 })).toBe(true);
    expect(givesUpOnHost({ permanent: false, answeredBefore: false, failures: 1 })).toBe(true);
    expect(givesUpOnHost({ permanent: false, answeredBefore: true, failures: 1 })).toBe(false);
    expect(givesUpOnHost({ permanent: false, answeredBefore: true, failures: 2 })).toBe(false);
    expect(givesUpOnHost({ permanent: false, answeredBefore: true, failures: 3 })).toBe(true);
  });
});
