// Bundles the CLI and its dependencies, so the plugin needs only `node`:
// - dist/kubectl-autoupdate.mjs + dist/chunks/: split at the CLI's dynamic imports, so `--version`, `--help`
//   and a refused flag read a small entry file and leave execa, chalk, ora, yaml and the registry client
//   unread (bin/kubectl-autoupdate runs this); the entry file and the program's chunk each hold the
//   modules they import (merge-start-chunks.mjs);
// - dist/kubectl-autoupdate.single.cjs: the same in one CommonJS file, for the self-contained executables
//   (a Node single-executable application holds one script). CommonJS, because an ES module's imports of
//   Node's own modules are all loaded before it runs (https, tls, crypto, readline... for --version too),
//   while a bundled CommonJS file requires them only when the code that needs them first runs: --version
//   starts ~50 ms sooner;
// - dist/THIRD_PARTY_LICENSES: the licences of the npm packages both hold.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";
import { mergeStartChunks } from "./merge-start-chunks.mjs";
import { thirdPartyLicenses } from "./third-party-licenses.mjs";

/**
 * Commander requires node:child_process when it loads, for subcommands run as separate executables, which
 * this CLI has none of: loading it costs ~2 ms of every start, `--help` and completion included. Its one
 * use is made to require it when called.
 */
const commanderWithoutChildProcess = {
  name: "commander-without-child-process",
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
      const eager = "const childProcess = require('node:child_process');";
      const text = readFileSync(path, "utf8");
      // A commander that no longer reads so fails the build rather than loading it eagerly unnoticed.
      if (!text.includes(eager))
        throw new Error(`${path}: commander no longer requires child_process as expected`);
      const lazy =
        "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: text.replace(eager, lazy), loader: "js" };
    });
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  legalComments: "linked",
  logLevel: "warning",
  plugins: [commanderWithoutChildProcess],
};

/**
 * Whether an output file may call require() (a line of code, not of a comment, that names it; a string
 * that does is a harmless false positive). Only those get one: each import of node:module costs time at
 * start.
 */
function mentionsRequire(text) {
  return text.split("\n").some((line) => !/^\s*(\*|\/\/|\/\*)/.test(line) && /\brequire\b/.test(line));
}

/** Gives an ES module a require() for the bundled CommonJS dependencies that call it. */
const requireBanner =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

// Chunk names carry a hash: without this, every build would leave the last one's chunks behind.
rmSync("dist/chunks", { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: { "kubectl-autoupdate": "src/bin.ts" },
    format: "esm",
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    write: false,
    metafile: true,
  }).then(async ({ outputFiles, metafile }) => {
    const files = await mergeStartChunks(outputFiles, metafile, "src/bin.ts", "src/main.ts");
    for (const { path, text } of files) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, mentionsRequire(text) ? `${requireBanner}\n${text}` : text);
    }
  }),
  // Both builds hold the same packages: this one's inputs name them for THIRD_PARTY_LICENSES.
  build({
    ...common,
    entryPoints: ["src/bin.ts"],
    format: "cjs",
    outfile: "dist/kubectl-autoupdate.single.cjs",
    metafile: true,
  }).then(({ metafile }) => writeFileSync("dist/THIRD_PARTY_LICENSES", thirdPartyLicenses(metafile))),
]);
