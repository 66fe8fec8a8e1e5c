/**
 * The self-contained executables (scripts/sea.mjs). The linux/amd64 one runs here as users run it, with no
 * node on PATH: --version, --help, and a plan against the recording fake kubectl and a real registry. The
 * others cannot run here; each is checked for what its OS needs to run it: the right format and CPU, the
 * bundle injected, macOS's ad-hoc signature valid (rcodesign verify), Windows' stale signature gone.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/cli.js";
import { FakeCluster, fakeBin } from "../support/fake-kubectl.js";
import { pushImage } from "../support/images.js";
import { makePod, makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import { type Platform, platforms, run } from "./support.js";

const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;
const executable = (p: Pick<Platform, "os" | "arch" | "exe">) =>
  join(repoRoot, "dist", "sea", `${p.os}-${p.arch}`, p.exe);
const linux = executable({ os: "linux", arch: "amd64", exe: "kubectl-autoupdate" });

/**
 * An environment whose PATH has no node; with a cluster, PATH holds only the fake kubectl, through a
 * wrapper that starts that node script with node's absolute path.
 */
function envWithoutNode(cluster?: FakeCluster): NodeJS.ProcessEnv {
  const base = { PATH: "/nonexistent", NO_COLOR: "1", HOME: mkdtempSync(join(tmpdir(), "kau-home-")) };
  if (!cluster) return base;
  const bin = mkdtempSync(join(tmpdir(), "kau-kubectl-only-"));
  writeFileSync(
    join(bin, "kubectl"),
    `#!/bin/sh\nexec '${process.execPath}' '${join(fakeBin, "kubectl")}' "$@"\n`,
    { mode: 0o755 },
  );
  return { ...base, ...cluster.env(), PATH: bin };
}

describe("linux/amd64, run without node", () => {
  let registry: Registry;
  let image: string;
  let v1: string;

  beforeAll(async () => {
    registry = await startRegistry();
    image = `${registry.host}/web:latest`;
    v1 = await pushImage(image, "sea v1");
    await pushImage(image, "sea v2");
  });
  afterAll(() => registry?.stop());

  it("--version prints the package's version", async () => {
    expect(await run(linux, ["--version"], { env: envWithoutNode() })).toEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: "",
    });
  });

  it("--help prints the usage of every verb", async () => {
    const result = await run(linux, ["--help"], { env: envWithoutNode() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: kubectl autoupdate \[options\] \[command\]/);
    for (const verb of ["plan", "apply", "install-cron", "uninstall-cron", "run-now", "cron-status"]) {
      expect(result.stdout).toContain(`\n  ${verb}`);
    }
  });

  it("NODE_OPTIONS meant for node does not reach it", async () => {
    const env = { ...envWithoutNode(), NODE_OPTIONS: "--require /nonexistent.js" };
    expect(await run(linux, ["--version"], { env })).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("plan against a cluster (fake kubectl) and a real registry finds the stale replicas", async () => {
    const cluster = new FakeCluster({
      pods: ["aaaaa", "bbbbb"].map((suffix) =>
        makePod({
          name: `web-7d9c8b-${suffix}`,
          owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
          labels: { app: "web", "pod-template-hash": "7d9c8b" },
          containers: [{ name: "app", image, runningDigest: v1 }],
        }),
      ),
      objects: [makeReplicaSet("web-7d9c8b", "web")],
    });
    const result = await run(linux, ["plan", "-A", "-o", "json", "--resolver", "registry"], {
      env: envWithoutNode(cluster),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { pods: { name: string; action: string }[] };
    expect(plan.pods.map((p) => [p.name, p.action])).toEqual([
      ["web-7d9c8b-aaaaa", "delete"],
      ["web-7d9c8b-bbbbb", "delete"],
    ]);
    expect(cluster.calls().length).toBeGreaterThan(0);
  });
});

describe("the other platforms' executables", async () => {
  const all = await platforms();
  const others = all.filter((p) => !(p.os === "linux" && p.arch === "amd64"));

  it.each(others.map((p) => [`${p.os}/${p.arch}`, p] as const))(
    "%s: its OS's format for its CPU, with the bundle injected",
    (_name, p) => {
      const bytes = readFileSync(executable(p));
      expect(bytes.length).toBeGreaterThan(50e6);
      expect(binaryKind(bytes)).toBe(`${p.os}/${p.arch}`);
      // The blob holds the bundle's text as is (no code cache, no snapshot), and the V8 option it runs with.
      expect(bytes.includes("Find pods that run an old digest of a mutable tag")).toBe(true);
      expect(bytes.includes("--max-semi-space-size=8")).toBe(true);
    },
  );

  const darwin = others.filter((p) => p.os === "darwin");
  it("builds for macOS at all: the signature checks below have executables to check", () => {
    expect(darwin.map((p) => p.arch).sort()).toEqual(["amd64", "arm64"]);
  });

  it.each(darwin.map((p) => [`${p.os}/${p.arch}`, p] as const))(
    "%s: signed ad hoc, every page's hash in the code directory matching the file",
    (_name, p) => {
      const signature = codeDirectory(readFileSync(executable(p)));
      expect(signature.identifier).toBe("kubectl-autoupdate");
      expect(signature.adhoc).toBe(true);
      expect(signature.mismatchedPages).toEqual([]);
      expect(signature.pages).toBeGreaterThan(1000);
    },
  );

  it("windows/amd64: no Authenticode signature left pointing at other bytes", () => {
    const p = all.find((x) => x.os === "windows")!;
    const pe = readFileSync(executable(p));
    const optional = pe.readUInt32LE(0x3c) + 24;
    const certificateTable = optional + 112 + 4 * 8;
    expect([pe.readUInt32LE(certificateTable), pe.readUInt32LE(certificateTable + 4)]).toEqual([0, 0]);
    expect(p.exe).toBe("kubectl-autoupdate.exe");
  });
});

describe("what the executables need to start, as README's Install section says it", async () => {
  const all = await platforms();
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const install = readme.slice(
    readme.indexOf("## Install"),
    readme.indexOf("\n## ", readme.indexOf("## Install") + 1),
  );
  // glibc's own: "glibc ≥ 2.28" names them.
  const everywhere = /^(libc|libm|libdl|libpthread|librt|ld-linux[-\w]*)\.so/;

  it.each(all.filter((p) => p.os === "linux").map((p) => [`${p.os}/${p.arch}`, p] as const))(
    "%s: every shared library beyond glibc's is named (a minimal image leaves libatomic out)",
    async (_name, p) => {
      const { code, stdout } = await run("readelf", ["-d", executable(p)]);
      expect(code).toBe(0);
      const needed = [...stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
      expect(needed).toContain("libc.so.6");
      for (const library of needed.filter((name) => !everywhere.test(name)))
        expect(install).toContain(library);
    },
  );

  it.each(all.filter((p) => p.os === "darwin").map((p) => [`${p.os}/${p.arch}`, p] as const))(
    "%s: the oldest macOS it loads on is named",
    (_name, p) => {
      const minimum = macOsMinimum(readFileSync(executable(p)));
      expect(minimum).toMatch(/^\d+\.\d+$/);
      expect(install).toContain(`macOS ${minimum} or newer`);
    },
  );
});

/** The minimum macOS of a 64-bit Mach-O file (LC_BUILD_VERSION's minos), as "13.5". */
function macOsMinimum(bytes: Buffer): string | undefined {
  const commands = bytes.readUInt32LE(16);
  let at = 32;
  for (let i = 0; i < commands; i++) {
    const [command, size] = [bytes.readUInt32LE(at), bytes.readUInt32LE(at + 4)];
    if (command === 0x32) {
      const minos = bytes.readUInt32LE(at + 12);
      return `${minos >>> 16}.${(minos >>> 8) & 0xff}`;
    }
    at += size;
  }
  return undefined;
}

describe("reproducible", () => {
  it("the same bundle gives the same executables, byte for byte", async () => {
    const out = mkdtempSync(join(tmpdir(), "kau-sea-again-"));
    const again = await run("node", ["scripts/sea.mjs", "--out", out, "linux/amd64", "darwin/arm64"]);
    expect(again.code, again.stderr).toBe(0);
    for (const p of [
      { os: "linux", arch: "amd64", exe: "kubectl-autoupdate" },
      { os: "darwin", arch: "arm64", exe: "kubectl-autoupdate" },
    ] as const) {
      const rebuilt = join(out, `${p.os}-${p.arch}`, p.exe);
      expect(statSync(rebuilt).size).toBe(statSync(executable(p)).size);
      expect(readFileSync(rebuilt).equals(readFileSync(executable(p)))).toBe(true);
    }
  });

  it("built in another directory, byte for byte the same: the checkout's path is in none", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "kau-checkout-"));
    mkdirSync(join(elsewhere, "dist"));
    copyFileSync(
      join(repoRoot, "dist", "kubectl-autoupdate.single.cjs"),
      join(elsewhere, "dist", "kubectl-autoupdate.single.cjs"),
    );
    const out = join(elsewhere, "out");
    const again = await run("node", [join(repoRoot, "scripts", "sea.mjs"), "--out", out, "linux/amd64"], {
      cwd: elsewhere,
    });
    expect(again.code, again.stderr).toBe(0);
    const rebuilt = readFileSync(join(out, "linux-amd64", "kubectl-autoupdate"));
    expect(rebuilt.includes(Buffer.from(repoRoot))).toBe(false);
    expect(rebuilt.equals(readFileSync(linux))).toBe(true);
  });
});

/** "linux/amd64" from an executable's header: ELF e_machine, Mach-O cputype, PE machine. */
function binaryKind(b: Buffer): string {
  if (b.readUInt32BE(0) === 0x7f454c46) {
    return `linux/${({ 62: "amd64", 183: "arm64" } as Record<number, string>)[b.readUInt16LE(18)]}`;
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    return `darwin/${({ 16777223: "amd64", 16777228: "arm64" } as Record<number, string>)[b.readUInt32LE(4)]}`;
  }
  if (b.toString("latin1", 0, 2) === "MZ") {
    const pe = b.readUInt32LE(0x3c);
    return `windows/${({ 34404: "amd64", 43620: "arm64" } as Record<number, string>)[b.readUInt16LE(pe + 4)]}`;
  }
  return "unknown";
}

/**
 * What macOS checks in an ad-hoc signature, read from the Mach-O itself: LC_CODE_SIGNATURE's SuperBlob,
 * its CodeDirectory (identifier, flags) and the sha256 of every page of the signed range against it.
 */
function codeDirectory(macho: Buffer) {
  const commands = macho.readUInt32LE(16);
  let at = 32; // mach_header_64
  let blob: Buffer | undefined;
  for (let i = 0; i < commands; i++) {
    const [cmd, size] = [macho.readUInt32LE(at), macho.readUInt32LE(at + 4)];
    if (cmd === 0x1d) {
      const [offset, length] = [macho.readUInt32LE(at + 8), macho.readUInt32LE(at + 12)];
      blob = macho.subarray(offset, offset + length);
    }
    at += size;
  }
  if (blob?.readUInt32BE(0) !== 0xfade0cc0) throw new Error("no code signature");
  let cd: Buffer | undefined;
  for (let i = 0; i < blob.readUInt32BE(8); i++) {
    const offset = blob.readUInt32BE(12 + i * 8 + 4);
    if (blob.readUInt32BE(12 + i * 8) === 0) cd = blob.subarray(offset);
  }
  if (cd?.readUInt32BE(0) !== 0xfade0c02) throw new Error("no code directory");
  const flags = cd.readUInt32BE(12);
  const hashOffset = cd.readUInt32BE(16);
  const identOffset = cd.readUInt32BE(20);
  const codeSlots = cd.readUInt32BE(28);
  const codeLimit = cd.readUInt32BE(32);
  const hashSize = cd.readUInt8(36);
  const pageSize = 2 ** cd.readUInt8(39);
  if (cd.readUInt8(37) !== 2) throw new Error("not a sha256 code directory");
  const mismatchedPages: number[] = [];
  for (let page = 0; page < codeSlots; page++) {
    const bytes = macho.subarray(page * pageSize, Math.min((page + 1) * pageSize, codeLimit));
    const want = cd.subarray(hashOffset + page * hashSize, hashOffset + (page + 1) * hashSize);
    if (!createHash("sha256").update(bytes).digest().equals(want)) mismatchedPages.push(page);
  }
  return {
    identifier: cd.toString("utf8", identOffset, cd.indexOf(0, identOffset)),
    adhoc: (flags & 0x2) !== 0,
    pages: codeSlots,
    mismatchedPages,
  };
}
