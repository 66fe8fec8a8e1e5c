/** The krew archive: reproducible, matching the manifest's sha256, and runnable with only node. */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { repoRoot } from "../support/cli.js";

describe("krew packaging", () => {
  const out = mkdtempSync(join(tmpdir(), "kau-pack-"));
  execFileSync("node", ["scripts/pack.mjs", out], { cwd: repoRoot });
  const archive = join(out, "kubectl-autoupdate.tar.gz");
  const sha256 = createHash("sha256").update(readFileSync(archive)).digest("hex");
  const manifest = YAML.parse(readFileSync(join(repoRoot, "krew-manifest.yaml"), "utf8"));

  it("the manifest is a krew v1alpha2 Plugin whose sha256 is the archive's", () => {
    expect(manifest).toMatchObject({
      apiVersion: "krew.googlecontainertools.github.com/v1alpha2",
      kind: "Plugin",
      metadata: { name: "autoupdate" },
      spec: { version: `v${JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version}` },
    });
    for (const platform of manifest.spec.platforms) {
      expect(platform.sha256, "run `npm run pack` and commit krew-manifest.yaml").toBe(sha256);
      expect(platform.uri).toMatch(/\/kubectl-autoupdate\.tar\.gz$/);
    }
  });

  it("the same sources give the same archive", () => {
    const again = mkdtempSync(join(tmpdir(), "kau-pack-"));
    execFileSync("node", ["scripts/pack.mjs", again], { cwd: repoRoot });
    expect(
      createHash("sha256")
        .update(readFileSync(join(again, "kubectl-autoupdate.tar.gz")))
        .digest("hex"),
    ).toBe(sha256);
  });

  it("installs the way krew does and runs with only node", () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-krew-"));
    execFileSync("tar", ["-xzf", archive, "-C", dir]);
    const platform = manifest.spec.platforms[0];
    const help = execFileSync(join(dir, platform.bin), ["plan", "--help"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
    });
    expect(help).toContain("Usage: kubectl autoupdate plan [options]");
    expect(readFileSync(join(dir, "LICENSE"), "utf8")).toContain("Apache License");
  });
});
