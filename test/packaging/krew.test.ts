/**
 * krew, for real (v0.4.3, built from the Go module proxy by test/tools/build.sh): the manifest passes
 * krew's own validator; the host's archive installs into an empty KREW_ROOT with `kubectl krew install
 * --manifest --archive` and runs through krew's link with no node on PATH; every other platform's entry
 * installs with KREW_OS/KREW_ARCH. kubectl is the test bed's. krew never reaches the network here: with
 * --manifest it reads no index, --archive replaces the download, and the unstamped build makes no
 * upgrade check (KREW_NO_UPGRADE_CHECK says so too). Shell completion: the archive's
 * kubectl_complete-autoupdate, copied next to krew's link by the caveats' line, answers kubectl's TAB.
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import YAML from "yaml";
import { buildTestbed } from "../testbed/scripts.js";
import { buildScript, type Platform, platforms, run } from "./support.js";

interface ManifestPlatform {
  selector: { matchLabels: { os: string; arch: string } };
  uri: string;
  sha256: string;
  bin: string;
  files: { from: string; to: string }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    version: string;
    shortDescription: string;
    description: string;
    caveats: string;
    platforms: ManifestPlatform[];
  };
}

const release = inject("release");
const text = readFileSync(release.manifest, "utf8");
const manifest = YAML.parse(text) as Manifest;
const all = await platforms();
let tools: string;
let kubectlBin: string;

beforeAll(async () => {
  [tools, kubectlBin] = await Promise.all([buildScript("test/tools/build.sh"), buildTestbed()]);
}, 3_600_000);

const entryFor = (p: Platform) =>
  manifest.spec.platforms.find(
    (e) => e.selector.matchLabels.os === p.os && e.selector.matchLabels.arch === p.arch,
  )!;
/**
 * What krew extracts: the executable, the licences (its own, Node.js's, the bundled packages'), and the
 * completion helper except on Windows.
 */
const filesOf = (p: Platform) => [
  p.exe,
  "LICENSE",
  "LICENSE-node",
  "THIRD_PARTY_LICENSES",
  ...(p.os === "windows" ? [] : ["kubectl_complete-autoupdate"]),
];
const archiveFor = (p: Platform) =>
  join(release.dir, `kubectl-autoupdate_${release.tag}_${p.os}_${p.arch}.${p.archive}`);

/**
 * A directory with only kubectl (the test bed's) and kubectl-krew: the PATH krew's users have, minus node.
 */
function kubectlAndKrew(): string {
  const dir = mkdtempSync(join(tmpdir(), "kau-krew-path-"));
  symlinkSync(join(kubectlBin, "kubectl"), join(dir, "kubectl"));
  symlinkSync(join(tools, "kubectl-krew"), join(dir, "kubectl-krew"));
  return dir;
}

function krewEnv(root: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${join(root, "bin")}:${kubectlAndKrew()}`,
    HOME: root,
    KREW_ROOT: root,
    KREW_NO_UPGRADE_CHECK: "1",
    NO_COLOR: "1",
    ...extra,
  };
}

async function install(p: Platform, extra: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), "kau-krew-root-"));
  const result = await run(
    "kubectl",
    ["krew", "install", `--manifest=${release.manifest}`, `--archive=${archiveFor(p)}`],
    { env: krewEnv(root, extra), cwd: root },
  );
  return { root, result };
}

describe("the manifest", () => {
  it("passes krew's validator (structure, selectors matching supported platforms, no overlaps)", async () => {
    // The validator wants the index's file name, <plugin name>.yaml. Installing is the tests below' job.
    const dir = mkdtempSync(join(tmpdir(), "kau-krew-validate-"));
    copyFileSync(release.manifest, join(dir, "autoupdate.yaml"));
    const result = await run(join(tools, "validate-krew-manifest"), [
      "-manifest",
      join(dir, "autoupdate.yaml"),
      "-skip-install",
    ]);
    expect(result.stderr).toContain("no overlapping spec.platform[].selector");
    expect(result.code).toBe(0);
  });

  it("has one entry per platform, each with its archive's sha256, bin and files", async () => {
    expect(manifest.spec.version).toBe(release.tag);
    expect(manifest.spec.platforms).toHaveLength(all.length);
    for (const p of all) {
      const entry = entryFor(p);
      const sha256 = (await run("sha256sum", [archiveFor(p)])).stdout.split(" ")[0];
      expect(entry).toEqual({
        selector: { matchLabels: { os: p.os, arch: p.arch } },
        uri: `https://github.com/kubectl-autoupdate/kubectl-autoupdate/releases/download/${release.tag}/kubectl-autoupdate_${release.tag}_${p.os}_${p.arch}.${p.archive}`,
        sha256,
        bin: p.exe,
        files: filesOf(p).map((from) => ({ from, to: "." })),
      });
    }
  });

  it("follows the index's rules: short description ≤ 50 characters, description within 80 columns", () => {
    expect(manifest.spec.shortDescription.length).toBeLessThanOrEqual(50);
    for (const line of manifest.spec.description.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    for (const line of manifest.spec.caveats.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    expect(manifest.spec.caveats).not.toMatch(/node/i);
  });

  it(".krew.yaml, the release bot's template, is the same manifest with the tag's uris", async () => {
    const check = await run("node", ["scripts/pack.mjs", "--krew-template", "check"]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
  });

  it("the same executables give the same archives, byte for byte", async () => {
    const again = mkdtempSync(join(tmpdir(), "kau-pack-again-"));
    const result = await run("node", ["scripts/pack.mjs", "--out", again, "linux/amd64", "windows/amd64"]);
    expect(result.code, result.stderr).toBe(0);
    for (const p of all.filter((x) => x.arch === "amd64" && x.os !== "darwin")) {
      const name = `kubectl-autoupdate_${release.tag}_${p.os}_${p.arch}.${p.archive}`;
      expect(readFileSync(join(again, name)).equals(readFileSync(archiveFor(p)))).toBe(true);
    }
  });
});

describe("kubectl krew install --manifest --archive", () => {
  it("linux/amd64 (this machine): installs, and `kubectl autoupdate` runs through krew's link without node", async () => {
    const host = all.find((p) => p.os === "linux" && p.arch === "amd64")!;
    const { root, result } = await install(host);
    expect(result.stderr).toContain("Installed plugin: autoupdate");
    expect(result.code).toBe(0);
    const env = krewEnv(root);
    for (const dir of env["PATH"]!.split(":")) expect(existsSync(join(dir, "node"))).toBe(false);
    const version = await run("kubectl", ["autoupdate", "--version"], { env, cwd: root });
    expect(version).toEqual({ code: 0, stdout: `${release.tag.slice(1)}\n`, stderr: "" });
    const help = await run("kubectl", ["autoupdate", "plan", "--help"], { env, cwd: root });
    expect(help.stdout).toContain("Usage: kubectl autoupdate plan [options]");
  });

  it("linux/amd64: the caveats' line installs shell completion, which kubectl's TAB then reaches, without node", async () => {
    const host = all.find((p) => p.os === "linux" && p.arch === "amd64")!;
    // krew's default root, ~/.krew, as the caveats' line assumes.
    const home = mkdtempSync(join(tmpdir(), "kau-krew-home-"));
    const root = join(home, ".krew");
    const env = { ...krewEnv(root), HOME: home };
    const installed = await run(
      "kubectl",
      ["krew", "install", `--manifest=${release.manifest}`, `--archive=${archiveFor(host)}`],
      { env, cwd: home },
    );
    expect(installed.code, installed.stderr).toBe(0);
    const line = manifest.spec.caveats
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.includes("kubectl_complete-autoupdate"))!;
    expect(line).toBe(`cp ~/.krew/store/autoupdate/${release.tag}/kubectl_complete-autoupdate ~/.krew/bin/`);
    // As the user's shell runs it, with cp on PATH (the TABs below run without /usr/bin, so without node).
    const copied = await run("/bin/sh", ["-c", line], {
      env: { ...env, PATH: `${krewEnv(root)["PATH"]}:/usr/bin:/bin` },
      cwd: home,
    });
    expect(copied.code, copied.stderr).toBe(0);
    expect(statSync(join(root, "bin", "kubectl_complete-autoupdate")).mode & 0o111).not.toBe(0);
    const tab = await run("kubectl", ["__complete", "autoupdate", "pl"], { env, cwd: home });
    expect(tab.stdout).toBe("plan\tlist pods whose image tag has moved (read-only)\n:4\n");
    const flags = await run("kubectl", ["__complete", "autoupdate", "apply", "--strategy", ""], {
      env,
      cwd: home,
    });
    expect(flags.stdout).toBe("auto\nrollout\nevict\ndelete\n:4\n");
  });

  it.each(
    all
      .filter((p) => !(p.os === "linux" && p.arch === "amd64"))
      .map((p) => [`${p.os}/${p.arch}`, p] as const),
  )("%s (KREW_OS/KREW_ARCH): installs its executable, the licences and the link", async (_name, p) => {
    const { root, result } = await install(p, { KREW_OS: p.os, KREW_ARCH: p.arch });
    expect(result.stderr).toContain("Installed plugin: autoupdate");
    expect(result.code).toBe(0);
    const store = join(root, "store", "autoupdate", release.tag);
    expect(readdirSync(store).sort()).toEqual(filesOf(p).sort());
    // The installed file is the archive's executable for that platform.
    const installed = readFileSync(join(store, p.exe));
    const built = readFileSync(join("dist", "sea", `${p.os}-${p.arch}`, p.exe));
    expect(installed.equals(built)).toBe(true);
    // krew's link in bin/: kubectl-autoupdate (.exe on Windows, where only .exe files run).
    expect(readdirSync(join(root, "bin"))).toEqual([
      p.os === "windows" ? "kubectl-autoupdate.exe" : "kubectl-autoupdate",
    ]);
  });
});
