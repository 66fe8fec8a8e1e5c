// The Node.js binaries the executables are made from: fetched once per platform from the npm registry
// (`npm pack`, so npm's own cache serves repeats), checked against the pinned sha512, prepared for
// injection and kept under <cache>/node/v<version>/<os>-<arch>/.
//
// Preparing means: Linux binaries lose their debug information (`strip`, a third of their size);
// Windows' loses its Authenticode signature, which injection would leave pointing at the wrong bytes
// (signtool is not available here; the executable ships unsigned). macOS binaries need nothing here:
// `--build-sea` drops their signature, and scripts/sea.mjs signs the result ad hoc.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot, NODE_VERSION, PLATFORMS } from "./platforms.mjs";

// Bumped when the preparation changes, so cached binaries are prepared again.
const RECIPE = 1;

const STRIP = { amd64: "x86_64-linux-gnu-strip", arm64: "aarch64-linux-gnu-strip" };

/** The cache folder of a platform's binary. */
function cacheDir(p) {
  return join(cacheRoot, "node", `v${NODE_VERSION}`, `${p.os}-${p.arch}`);
}

/** Path of the platform's node binary, ready for `--build-sea`; fetched and prepared on first use. */
export function nodeBinary(p) {
  const dir = cacheDir(p);
  const binary = join(dir, p.os === "windows" ? "node.exe" : "node");
  const stamp = join(dir, "stamp");
  const want = `${p.npmPackage}@${NODE_VERSION} ${p.integrity} recipe=${RECIPE}`;
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) return binary;
  // The tests fetch nothing: test/ci.sh fills the cache before them.
  if (process.env.KUBECTL_AUTOUPDATE_OFFLINE) {
    throw new Error(
      `KUBECTL_AUTOUPDATE_OFFLINE: ${p.npmPackage}@${NODE_VERSION} is not in ${dir} (npm run sea fetches it)`,
    );
  }

  mkdirSync(join(cacheRoot, "node"), { recursive: true });
  const work = mkdtempSync(join(cacheRoot, "node", ".fetch-"));
  try {
    const t0 = Date.now();
    const tgz = fetchPackage(p, work);
    execFileSync("tar", ["-xzf", tgz, "-C", work, p.nodePath, ...licenseIn(tgz)], { stdio: "inherit" });
    const node = join(work, p.nodePath);
    prepare(p, node);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    renameSync(node, binary);
    if (existsSync(join(work, "package", "LICENSE"))) {
      renameSync(join(work, "package", "LICENSE"), join(dir, "LICENSE"));
    }
    writeFileSync(stamp, want);
    process.stderr.write(`node-binaries: ${p.npmPackage}@${NODE_VERSION} ready in ${Date.now() - t0} ms\n`);
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Node.js's licence (its own and its bundled dependencies'), which ships beside each executable. */
export function nodeLicense() {
  // Every package of a version carries the same text, but not every package carries it (Windows' lacks it).
  for (const p of PLATFORMS) {
    if (p.os !== "linux") continue;
    nodeBinary(p);
    const license = join(cacheDir(p), "LICENSE");
    if (existsSync(license)) return license;
  }
  throw new Error(`no LICENSE in the Linux packages of Node.js ${NODE_VERSION}`);
}

/** `npm pack`s the package into WORK and checks its sha512; returns the tarball's path. */
function fetchPackage(p, work) {
  const out = execFileSync(
    "npm",
    ["pack", `${p.npmPackage}@${NODE_VERSION}`, "--pack-destination", work, "--json", "--silent"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 16 * 1024 * 1024 },
  );
  const [info] = JSON.parse(out);
  const tgz = join(work, info.filename);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`;
  if (integrity !== p.integrity) {
    throw new Error(`${p.npmPackage}@${NODE_VERSION}: sha512 ${integrity}, expected ${p.integrity}`);
  }
  return tgz;
}

/** ["package/LICENSE"] when the tarball has one. */
function licenseIn(tgz) {
  const names = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  return names.split("\n").includes("package/LICENSE") ? ["package/LICENSE"] : [];
}

function prepare(p, node) {
  if (p.os === "linux") {
    try {
      execFileSync(STRIP[p.arch], ["--strip-all", node], { stdio: "inherit" });
    } catch (error) {
      const pkg = STRIP[p.arch].replace(/-strip$/, "").replaceAll("_", "-");
      throw new Error(`${STRIP[p.arch]} failed (Debian: apt-get install binutils-${pkg}): ${error.message}`);
    }
  }
  if (p.os === "windows") writeFileSync(node, withoutAuthenticode(readFileSync(node)));
}

/**
 * A PE file without its Authenticode signature: the certificate table (data directory 4) emptied and the
 * signature at the end of the file cut off, as `signtool remove /s` does.
 */
export function withoutAuthenticode(pe) {
  const header = pe.readUInt32LE(0x3c);
  if (pe.toString("latin1", header, header + 4) !== "PE\0\0") throw new Error("not a PE file");
  const optional = header + 24;
  const magic = pe.readUInt16LE(optional);
  if (magic !== 0x20b) throw new Error(`not a PE32+ file (magic 0x${magic.toString(16)})`);
  if (pe.readUInt32LE(optional + 108) < 5) return pe; // fewer data directories: no certificate table
  const entry = optional + 112 + 4 * 8;
  const offset = pe.readUInt32LE(entry);
  const size = pe.readUInt32LE(entry + 4);
  if (size === 0) return pe;
  // The table is the file's last part (8-byte aligned); anything after it would be another tool's.
  if (offset + size > pe.length || pe.length - (offset + size) >= 8) {
    throw new Error(`the certificate table (${offset}+${size}) is not at the end of the file (${pe.length})`);
  }
  const out = Buffer.from(pe.subarray(0, offset));
  out.writeUInt32LE(0, entry);
  out.writeUInt32LE(0, entry + 4);
  return out;
}
