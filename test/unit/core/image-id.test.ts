import { describe, expect, it } from "vitest";
import { parseImageId, shortDigest } from "../../../src/core/image-id.js";

const hex = "4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac";
const digest = `sha256:${hex}`;

describe("parseImageId reads every runtime's form", () => {
  it.each([
    // cri-dockerd (and dockershim before 1.24)
    [`docker-pullable://nginx@${digest}`, "docker.io/library/nginx"],
    [`docker-pullable://localhost:5000/team/app@${digest}`, "localhost:5000/team/app"],
    // containerd: fully qualified repo digest (the index digest for multi-arch tags)
    [`docker.io/library/nginx@${digest}`, "docker.io/library/nginx"],
    [`ghcr.io/org/app@${digest}`, "ghcr.io/org/app"],
    // CRI-O: repo@platform manifest digest
    [`quay.io/org/app@${digest}`, "quay.io/org/app"],
    [`registry.k8s.io/pause@${digest}`, "registry.k8s.io/pause"],
  ])("%s", (imageID, repository) => {
    expect(parseImageId(imageID)).toEqual({ kind: "repo-digest", digest, repository });
  });

  it.each([
    [`docker://${digest}`], // cri-dockerd without a repo digest: the image (config) ID
    [digest], // kind load, ctr import
    [hex], // CRI-O raw image ID (cri-o#7143)
  ])("bare id %s", (imageID) => {
    expect(parseImageId(imageID)).toEqual({ kind: "bare-id" });
  });

  it("keeps the digest of a repository that is not the spec's (kind's import-* names)", () => {
    expect(parseImageId(`docker.io/library/import-2025-10-07@${digest}`)).toEqual({
      kind: "repo-digest",
      digest,
      repository: "docker.io/library/import-2025-10-07",
    });
  });

  it("empty, missing and garbage", () => {
    expect(parseImageId("")).toEqual({ kind: "empty" });
    expect(parseImageId(undefined)).toEqual({ kind: "empty" });
    expect(parseImageId("nginx:latest")).toEqual({ kind: "malformed", raw: "nginx:latest" });
    expect(parseImageId("nginx@sha256:123")).toEqual({ kind: "malformed", raw: "nginx@sha256:123" });
  });

  it("an unparseable repository keeps the digest and names no repository", () => {
    expect(parseImageId(`Bad Repo@${digest}`)).toEqual({ kind: "repo-digest", digest, repository: null });
  });

  it("shortens digests to 12 hex characters", () => {
    expect(shortDigest(digest)).toBe("4c0fdaa8b634");
    expect(shortDigest(null)).toBe("");
  });
});
