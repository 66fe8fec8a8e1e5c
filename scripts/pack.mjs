// The krew archives and manifest: one archive per platform (tar.gz; zip for Windows, the two forms krew
// unpacks), each with the executable (scripts/sea.mjs), LICENSE and Node.js's licence, and a manifest with
// one `platforms` entry per archive. `npm run pack` builds and makes everything; this script only packs.
//
//   node scripts/pack.mjs [--out dist/release] [--tag v0.1.0] [os/arch ...]
//   node scripts/pack.mjs --krew-template write|check     .krew.yaml, the release bot's template
//
// Archives are reproducible: fixed order, owner, modes and times, and gzip without a timestamp, so the
// same executables give the same bytes and sha256.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";
import {
  archiveName,
  buildManifest,
  completionFiles,
  releaseBotTemplate,
  releaseUri,
} from "./krew-manifest.mjs";
import { nodeLicense } from "./node-binaries.mjs";
import { executablePath, PLATFORMS, platformName, selectPlatforms } from "./platforms.mjs";

// 1980-01-01T00:00:00Z: the earliest time a zip entry can hold.
const EPOCH = 315532800;
const TEMPLATE = ".krew.yaml";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: "string", default: "dist/release" },
    tag: { type: "string" },
    "krew-template": { type: "string" },
  },
});

if (values["krew-template"] !== undefined) {
  const want = releaseBotTemplate(PLATFORMS);
  if (values["krew-template"] === "write") {
    writeFileSync(TEMPLATE, want);
  } else if (readFileSync(TEMPLATE, "utf8") !== want) {
    process.stderr.write(
      `pack: ${TEMPLATE} is not what scripts/krew-manifest.mjs makes: run \`node scripts/pack.mjs --krew-template write\`\n`,
    );
    process.exit(1);
  }
  process.exit(0);
}

const version = JSON.parse(readFileSync("package.json", "utf8")).version;
const tag = values.tag ?? `v${version}`;
const out = resolve(values.out);
const platforms = selectPlatforms(positionals);
mkdirSync(out, { recursive: true });

const work = mkdtempSync(join(tmpdir(), "kau-pack-"));
const archives = new Map();
try {
  for (const p of platforms) {
    const t0 = Date.now();
    const stage = join(work, `${p.os}-${p.arch}`);
    mkdirSync(stage);
    const sources = [
      [p.exe, executablePath(p)],
      ["LICENSE", "LICENSE"],
      ["LICENSE-node", nodeLicense()],
      ["THIRD_PARTY_LICENSES", "dist/THIRD_PARTY_LICENSES"],
      ...completionFiles(p).map((f) => [f.name, f.source]),
    ];
    const executables = new Set([
      p.exe,
      ...completionFiles(p)
        .filter((f) => f.executable)
        .map((f) => f.name),
    ]);
    for (const [name, source] of sources) {
      const target = join(stage, name);
      copyFileSync(source, target);
      chmodSync(target, executables.has(name) ? 0o755 : 0o644);
      utimesSync(target, EPOCH, EPOCH);
    }
    const names = sources.map(([name]) => name).sort();
    const archive = join(out, archiveName(p, tag));
    rmSync(archive, { force: true });
    if (p.archive === "zip") {
      // -X: no uid/gid or extra time fields; TZ=UTC: the DOS times are the fixed epoch everywhere.
      execFileSync("zip", ["-X", "-6", "-q", archive, ...names], {
        cwd: stage,
        env: { ...process.env, TZ: "UTC" },
        stdio: "inherit",
      });
    } else {
      const tar = join(work, `${p.os}-${p.arch}.tar`);
      execFileSync(
        "tar",
        [
          "--create",
          `--file=${tar}`,
          `--directory=${stage}`,
          `--mtime=@${EPOCH}`,
          "--owner=0",
          "--group=0",
          "--numeric-owner",
          "--format=gnu",
          ...names,
        ],
        { stdio: "inherit" },
      );
      // zlib's gzip header carries no file name and a zero time.
      await pipeline(createReadStream(tar), createGzip({ level: 6 }), createWriteStream(archive));
    }
    const sha256 = await sha256Of(archive);
    archives.set(platformName(p), { uri: releaseUri(p, tag), sha256, file: archive });
    process.stderr.write(`pack: ${archiveName(p, tag)} sha256 ${sha256} in ${Date.now() - t0} ms\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const manifest = join(out, "krew-manifest.yaml");
writeFileSync(manifest, buildManifest(tag.replace(/^v/, ""), platforms, archives));
process.stdout.write(`${manifest}\n`);

function sha256Of(file) {
  return new Promise((done, fail) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", fail)
      .on("end", () => done(hash.digest("hex")));
  });
}
