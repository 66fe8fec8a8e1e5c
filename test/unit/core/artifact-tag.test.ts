/**
 * A tag that now names no container image: a Helm chart or an OCI artifact pushed to the image's
 * repository under the same tag, or an index Go wrote with `"manifests": null`. A new pod could run none
 * of them, so the pod is unknown, never stale.
 */
import { describe, expect, it } from "vitest";
import { manifestInfo } from "../../../src/core/manifest.js";
import type { ManifestInfo } from "../../../src/core/resolution.js";
import { judgeRunningDigest } from "../../../src/core/running-image.js";
import { digestOf } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

const repository = "registry.example/shop/app";
const RUNNING = digestOf("app 1.0.0, the image");
const TAG = digestOf("app 1.0.0, pushed again");
const helmConfig = "application/vnd.cncf.helm.config.v1+json";
const ociManifest = "application/vnd.oci.image.manifest.v1+json";

function judge(tag: ManifestInfo, running: ManifestInfo | { ok: false; reason: string; missing: true }) {
  return judgeRunningDigest(
    { digest: RUNNING, repository },
    repository,
    { digest: TAG, sameImageDigests: [], isIndex: false },
    new Map<string, ManifestInfo>([
      [TAG, tag],
      [RUNNING, running],
    ]),
    "linux/amd64",
  );
}

describe("a tag that names no container image", () => {
  const chart = manifestInfo({
    schemaVersion: 2,
    mediaType: ociManifest,
    config: { mediaType: helmConfig, digest: digestOf("chart config"), size: 1 },
    layers: [],
  });
  const artifact = manifestInfo({
    schemaVersion: 2,
    mediaType: ociManifest,
    artifactType: "application/vnd.example.sbom+json",
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: digestOf("{}"), size: 2 },
    layers: [],
  });

  it("reads a chart's or an artifact's type from its manifest; an image's has none", () => {
    expect(chart).toMatchObject({ ok: true, isIndex: false, notImage: helmConfig });
    expect(artifact).toMatchObject({ notImage: "application/vnd.example.sbom+json" });
    const image = manifestInfo({
      schemaVersion: 2,
      mediaType: ociManifest,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf("c") },
    });
    expect(image).not.toHaveProperty("notImage");
    const written = manifestInfo({
      schemaVersion: 2,
      config: { mediaType: "Application/vnd.docker.container.image.v1+json; charset=utf-8", digest: "c" },
    });
    expect(written).not.toHaveProperty("notImage");
  });

  it("is unknown, with no image a new pod could run, against a running image or one the registry deleted", () => {
    const runningImage = singleManifest(RUNNING, {
      config: "sha256:image-config",
      platform: "linux/amd64",
    })[1];
    const tag = { ...chart, platform: null } as ManifestInfo;
    const expected = {
      status: "unknown",
      reason: `the tag now names ${helmConfig}, not a container image`,
      noImageToRun: true,
    };
    expect(judge(tag, runningImage)).toEqual(expected);
    expect(judge(tag, { ok: false, reason: "404", missing: true })).toEqual(expected);
  });

  it("a pod running that type itself (a Wasm image) is compared as any other", () => {
    const wasm = "application/vnd.wasm.config.v0+json";
    const of = (config: string) =>
      ({ ok: true, isIndex: false, config, platform: null, notImage: wasm }) as ManifestInfo;
    expect(judge(of("sha256:new"), of("sha256:old"))).toEqual({ status: "stale", reason: "" });
  });

  it("an index Go wrote with no entries (`manifests: null`) is an index with no image, not an image", () => {
    const empty = manifestInfo({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: null,
    });
    expect(empty).toEqual({ ok: true, isIndex: true, children: [] });
  });
});
