/**
 * 32-bit ARM: `linux/arm` with no variant is `linux/arm/v7` to containerd (platforms.Normalize), as
 * `linux/arm64` is `linux/arm64/v8` (which core/manifest.ts does normalize). An image rebuilt by a toolchain
 * that writes the variant (buildx: `"variant":"v7"`) over one whose config left it out is the same platform.
 */
import { describe, expect, it } from "vitest";
import { configPlatform } from "../../../src/core/manifest.js";
import type { ManifestInfo } from "../../../src/core/resolution.js";
import { judgeRunningDigest } from "../../../src/core/running-image.js";
import { digestOf } from "../../support/pods.js";

const OLD = digestOf("app:1 before, built without a variant in its config");
const NEW = digestOf("app:1 now, rebuilt by buildx");
const repository = "reg.test/app";

describe("linux/arm without a variant is linux/arm/v7", () => {
  it("the platform keys of arm and arm/v7 configs are the same platform", () => {
    expect(configPlatform({ os: "linux", architecture: "arm" })).toBe(
      configPlatform({ os: "linux", architecture: "arm", variant: "v7" }),
    );
  });

  it("a single arm image rebuilt for arm/v7 is stale, not 'the tag no longer has an image' (pod held)", () => {
    const manifests = new Map<string, ManifestInfo>([
      [
        OLD,
        {
          ok: true,
          isIndex: false,
          config: digestOf("config old"),
          platform: configPlatform({ os: "linux", architecture: "arm" }),
        },
      ],
      [
        NEW,
        {
          ok: true,
          isIndex: false,
          config: digestOf("config new"),
          platform: configPlatform({ os: "linux", architecture: "arm", variant: "v7" }),
        },
      ],
    ]);
    const verdict = judgeRunningDigest(
      { digest: OLD, repository },
      repository,
      { digest: NEW, sameImageDigests: [], isIndex: false },
      manifests,
      null,
    );
    expect(verdict).toMatchObject({ status: "stale" });
  });
});
