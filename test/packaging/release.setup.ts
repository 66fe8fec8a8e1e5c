/**
 * vitest globalSetup of the packaging project: the self-contained executables of every platform
 * (scripts/sea.mjs; the Node.js binaries and rcodesign come from the cache after the first run) and the
 * krew archives and manifest (scripts/pack.mjs) in the run's temporary directory, handed to the tests as
 * `inject("release")`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export interface ReleaseInfo {
  /** The archives and krew-manifest.yaml. */
  dir: string;
  manifest: string;
  /** The tag the archives are named for (v<package version>). */
  tag: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    release: ReleaseInfo;
  }
}

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "kau-release-"));
  const t0 = Date.now();
  // Tests fetch nothing from outside this machine: the Node.js binaries must be cached (test/ci.sh).
  const offline = { ...process.env, KUBECTL_AUTOUPDATE_OFFLINE: "1" };
  execFileSync("node", ["scripts/sea.mjs"], { stdio: "inherit", env: offline });
  const manifest = execFileSync("node", ["scripts/pack.mjs", "--out", dir], {
    env: offline,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  console.error(`packaging: executables and archives made in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  project.provide("release", { dir, manifest, tag: `v${version}` });
}
