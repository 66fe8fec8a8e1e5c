import { describe, expect, it } from "vitest";
import {
  configDigestOf,
  configPlatform,
  describeConfig,
  isIndexMediaType,
  manifestAccept,
  nodePlatformKey,
  platformKey,
  readManifest,
  statesNoVariant,
} from "../../../src/core/manifest.js";

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

describe("platformKey", () => {
  it("an os or architecture left empty (as docker prints what a config leaves out) states no platform", () => {
    expect(platformKey({ os: "", architecture: "" })).toBeNull();
    expect(platformKey({ os: "", architecture: "amd64" })).toBeNull();
    expect(platformKey({ os: "linux", architecture: "" })).toBeNull();
    expect(platformKey({ os: "linux", architecture: "amd64", variant: "" })).toBe("linux/amd64");
  });

  it.each([
    [{ architecture: "arm" }, "linux/arm/v7"],
    [{ architecture: "arm", variant: "7" }, "linux/arm/v7"],
    [{ architecture: "arm", variant: "v7" }, "linux/arm/v7"],
    [{ architecture: "arm", variant: "6" }, "linux/arm/v6"],
    [{ architecture: "arm", variant: "v6" }, "linux/arm/v6"],
    [{ architecture: "arm64" }, "linux/arm64/v8"],
    [{ architecture: "arm64", variant: "8" }, "linux/arm64/v8"],
    [{ architecture: "ARM64", variant: "V8" }, "linux/arm64/v8"],
    [{ architecture: "amd64", variant: "v1" }, "linux/amd64"],
    [{ architecture: "x86_64" }, "linux/amd64"],
    [{ architecture: "x86-64", variant: "v1" }, "linux/amd64"],
    [{ architecture: "aarch64" }, "linux/arm64/v8"],
    [{ architecture: "arm64", variant: "v8.0" }, "linux/arm64/v8"],
    [{ architecture: "armhf" }, "linux/arm/v7"],
    [{ architecture: "armel" }, "linux/arm/v6"],
    [{ architecture: "i386" }, "linux/386"],
    [{ architecture: "amd64", variant: "v3" }, "linux/amd64/v3"],
  ])(
    "%j is %s, as containerd normalizes it (a rebuild that states the default is the same platform)",
    (p, key) => {
      expect(platformKey({ os: "linux", ...p })).toBe(key);
    },
  );
});

describe("Windows builds", () => {
  it("a Windows image's platform carries its build (not its revision); other platforms carry none", () => {
    const w19 = { os: "windows", architecture: "amd64", "os.version": "10.0.17763.5329" };
    expect(platformKey(w19)).toBe("windows/amd64 10.0.17763");
    expect(platformKey({ ...w19, "os.version": "10.0.17763.6054" })).toBe("windows/amd64 10.0.17763");
    expect(platformKey({ ...w19, "os.version": "10.0.20348.2227" })).toBe("windows/amd64 10.0.20348");
    expect(platformKey({ os: "windows", architecture: "amd64" })).toBe("windows/amd64");
    expect(platformKey({ os: "linux", architecture: "amd64", "os.version": "10.0.17763.1" })).toBe(
      "linux/amd64",
    );
  });

  it("a Windows node's build is its node.kubernetes.io/windows-build label's, else its kernel version's", () => {
    const node = (labels: Record<string, string>, kernelVersion?: string) => ({
      metadata: { name: "win-1", labels },
      status: { nodeInfo: { operatingSystem: "windows", architecture: "amd64", kernelVersion } },
    });
    expect(nodePlatformKey(node({ "node.kubernetes.io/windows-build": "10.0.17763" }))).toBe(
      "windows/amd64 10.0.17763",
    );
    expect(nodePlatformKey(node({}, "10.0.20348.2227"))).toBe("windows/amd64 10.0.20348");
    expect(nodePlatformKey(node({}))).toBe("windows/amd64");
    const linux = {
      metadata: { name: "n1" },
      status: { nodeInfo: { operatingSystem: "linux", architecture: "arm64", kernelVersion: "6.1.0-28" } },
    };
    expect(nodePlatformKey(linux)).toBe("linux/arm64/v8");
  });

  it("a 32-bit ARM node says `arm` with no variant, where images say arm/v6 or arm/v7: not known exactly", () => {
    const pi = {
      metadata: { name: "pi-1" },
      status: { nodeInfo: { operatingSystem: "linux", architecture: "arm", kernelVersion: "6.6.31" } },
    };
    expect(nodePlatformKey(pi)).toBe("linux/arm");
    expect(statesNoVariant("linux/arm")).toBe(true);
    // No image's key: an image's arm without a variant is arm/v7, as containerd reads it.
    expect(configPlatform({ os: "linux", architecture: "arm" })).toBe("linux/arm/v7");
    expect(statesNoVariant("linux/arm64/v8")).toBe(false);
  });
});

describe("image labels", () => {
  it("a lone UTF-16 surrogate in a label becomes U+FFFD, as Go reads it; a surrogate pair stays", () => {
    const config = JSON.parse(
      '{"config":{"Labels":{"org.opencontainers.image.title":"a\\ud800b \\ud83d\\ude00"}}}',
    );
    const described = describeConfig(config);
    expect(described.ok && described.labels["org.opencontainers.image.title"]).toBe("a\uFFFDb 😀");
  });

  it("so does one in the build time, which -o json and -o yaml then print alike", () => {
    const described = describeConfig(JSON.parse('{"created":"2026-11-30T11:48:02Z\\ud800"}'));
    expect(described.ok && described.created).toBe("2026-11-30T11:48:02Z\uFFFD");
  });
});
