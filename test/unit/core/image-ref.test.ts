import { describe, expect, it } from "vitest";
import {
  formatImageRef,
  InvalidImageRefError,
  isLoopbackHost,
  parseImageRef,
  registryApiHost,
} from "../../../src/core/image-ref.js";

const d = `sha256:${"a".repeat(64)}`;

describe("parseImageRef normalizes like distribution/reference", () => {
  it.each([
    ["nginx", "docker.io/library/nginx:latest"],
    // The longest path, 255 characters, whatever the registry's name (distribution/reference counts
    // the path).
    [
      `registry.gitlab.example.com/${"a".repeat(255)}`,
      `registry.gitlab.example.com/${"a".repeat(255)}:latest`,
    ],
    ["nginx:1.25", "docker.io/library/nginx:1.25"],
    ["library/nginx", "docker.io/library/nginx:latest"],
    ["bitnami/redis:7", "docker.io/bitnami/redis:7"],
    ["docker.io/nginx", "docker.io/library/nginx:latest"],
    ["index.docker.io/nginx:stable", "docker.io/library/nginx:stable"],
    ["index.docker.io/library/nginx", "docker.io/library/nginx:latest"],
    ["ghcr.io/org/app:main", "ghcr.io/org/app:main"],
    ["localhost/app", "localhost/app:latest"],
    ["localhost:5000/app:v1", "localhost:5000/app:v1"],
    ["127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app:latest"],
    ["registry:5000", "docker.io/library/registry:5000"],
    ["registry.example.com:8443/a/b/c:1.2", "registry.example.com:8443/a/b/c:1.2"],
    ["[::1]:5000/app:dev", "[::1]:5000/app:dev"],
    ["Registry.Example.com/app", "Registry.Example.com/app:latest"],
    ["my_app/x__y-z.w:Tag_1.0-rc", "docker.io/my_app/x__y-z.w:Tag_1.0-rc"],
    // No host name, but a path's first part to distribution/reference: containerd pulls from it as a host.
    ["ci_cache.example.com/team/app:1", "ci_cache.example.com/team/app:1"],
    [`nginx@${d}`, `docker.io/library/nginx@${d}`],
    [`nginx:1.25@${d}`, `docker.io/library/nginx@${d}`],
    [`localhost:5000/app:v1@${d}`, `localhost:5000/app@${d}`],
  ])("%s → %s", (input, expected) => {
    expect(formatImageRef(parseImageRef(input))).toBe(expected);
  });

  it("keeps the pinned digest and drops the tag", () => {
    expect(parseImageRef(`nginx:1.25@${d}`)).toEqual({
      domain: "docker.io",
      path: "library/nginx",
      tag: null,
      digest: d,
    });
  });

  it.each([
    ["", "empty image reference"],
    ["Nginx", 'repository name "library/Nginx" must be lowercase'],
    ["docker.io/Org/app", 'repository name "Org/app" must be lowercase'],
    ["nginx:", 'invalid tag ""'],
    ["nginx:-bad", 'invalid tag "-bad"'],
    [`nginx:${"x".repeat(129)}`, "invalid tag"],
    ["nginx@sha256:abc", 'invalid digest "sha256:abc"'],
    [`nginx@sha256:${"A".repeat(64)}`, "invalid digest"],
    // The kubelet's own example of a reference it refuses (go-digest cannot verify the algorithm).
    [`validname@invaliddigest:${"f".repeat(64)}`, 'unsupported digest algorithm "invaliddigest"'],
    ["a".repeat(64), "is an image ID, not a repository name"],
    ["ghcr.io//app", "invalid repository name"],
    ["app/-x", "invalid repository name"],
    ["exa mple.com/app", "invalid"],
    ["exa-.com/app", 'invalid registry host "exa-.com"'],
    // Its host is the path's first part to distribution/reference: the whole name counts, and takes no port.
    [`ci_cache.example.com/${"a".repeat(240)}`, "must not be more than 255 characters"],
    ["ci_cache.example.com:5000/app", 'invalid registry host "ci_cache.example.com:5000"'],
    [`example.com/${"a".repeat(256)}`, "must not be more than 255 characters"],
    // Docker Hub's official images are library/ and the name: 8 + 250 is 258.
    [`${"a".repeat(250)}`, "must not be more than 255 characters"],
  ])("rejects %j", (input, message) => {
    expect(() => parseImageRef(input)).toThrow(InvalidImageRefError);
    expect(() => parseImageRef(input)).toThrow(message);
  });
});

describe("registry hosts", () => {
  it("talks to Docker Hub at registry-1.docker.io", () => {
    expect(registryApiHost(parseImageRef("nginx"))).toBe("registry-1.docker.io");
    expect(registryApiHost(parseImageRef("ghcr.io/a/b"))).toBe("ghcr.io");
  });
  it.each([
    ["localhost:5000", true],
    ["localhost", true],
    ["127.0.0.1:5000", true],
    ["127.1.2.3:80", true],
    ["[::1]:5000", true],
    ["[::ffff:127.0.0.1]:5000", true],
    ["127.0.0.01:5000", false],
    ["registry.local:5000", false],
    ["10.0.0.1:5000", false],
  ])("loopback %s → %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
