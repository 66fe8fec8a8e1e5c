// Makes the self-contained executables: the one-file bundle (dist/kubectl-autoupdate.single.cjs,
// `npm run build`) injected into each platform's Node.js binary as a single-executable application,
// written to dist/sea/<os>-<arch>/. Node.js is not needed to run them.
//
//   node scripts/sea.mjs                          every platform
//   node scripts/sea.mjs linux/amd64 darwin/arm64 some
//   node scripts/sea.mjs --out DIR linux/amd64    elsewhere than dist/sea (DIR/<os>-<arch>/)
//
// The blob must come from the same Node.js version as the binary it goes into, and its format does not
// depend on the platform as long as neither a startup snapshot nor a code cache is in it: so the host's
// binary of the pinned version (scripts/platforms.mjs) builds every platform's executable with
// `--build-sea`. macOS executables are then signed ad hoc with rcodesign (scripts/rcodesign.sh).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { nodeBinary } from "./node-binaries.mjs";
import { executablePath, hostPlatform, NODE_VERSION, platformName, selectPlatforms } from "./platforms.mjs";

// Relative, as --build-sea is run from here: Node keeps `main` in the blob, and an absolute path would put
// the checkout's directory into every executable, which would then differ from one built elsewhere.
const bundle = "dist/kubectl-autoupdate.single.cjs";
statSync(bundle); // `npm run build` first
const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: "string" } } });
const platforms = selectPlatforms(positionals);
const outputOf = (p) =>
  values.out === undefined ? resolve(executablePath(p)) : resolve(values.out, `${p.os}-${p.arch}`, p.exe);
const host = hostPlatform();
if (!host)
  throw new Error(`no Node.js ${NODE_VERSION} binary for this host (${process.platform}/${process.arch})`);
const builder = nodeBinary(host);
const rcodesign = platforms.some((p) => p.os === "darwin")
  ? execFileSync("scripts/rcodesign.sh", { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim()
  : undefined;

const work = mkdtempSync(join(tmpdir(), "kau-sea-"));
try {
  for (const p of platforms) {
    const t0 = Date.now();
    const output = outputOf(p);
    rmSync(dirname(output), { recursive: true, force: true });
    mkdirSync(dirname(output), { recursive: true });
    const config = join(work, `${p.os}-${p.arch}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        main: bundle,
        mainFormat: "commonjs",
        executable: nodeBinary(p),
        output,
        disableExperimentalSEAWarning: true,
        // Platform-specific: off, so one builder serves every platform (and the output is reproducible).
        useSnapshot: false,
        useCodeCache: false,
        // NODE_OPTIONS is meant for node, not for a plugin that happens to be made with it.
        execArgvExtension: "none",
        // Node.js 26 lets V8's young generation grow to 32 MB semi-spaces (Node.js 20: 16), which a plan of
        // 150,000 pods fills: 8 MB holds its peak ~75 MB lower for no more CPU (bench/RESULTS.md).
        execArgv: ["--max-semi-space-size=8"],
      }),
    );
    execFileSync(builder, ["--build-sea", config], { stdio: ["ignore", "ignore", "inherit"] });
    if (p.os === "darwin") {
      // No signing key: an ad-hoc signature (the code directory's hashes, no certificate).
      const signing = spawnSync(rcodesign, ["sign", "--binary-identifier", "kubectl-autoupdate", output], {
        encoding: "utf8",
      });
      if (signing.status !== 0) throw new Error(`rcodesign sign failed:\n${signing.stderr}`);
    }
    chmodSync(output, 0o755);
    const mb = (statSync(output).size / 1e6).toFixed(1);
    process.stderr.write(`sea: ${platformName(p)} ${output} ${mb} MB in ${Date.now() - t0} ms\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
