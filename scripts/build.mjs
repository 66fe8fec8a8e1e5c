// Bundles the CLI and its dependencies, so the plugin needs only `node`:
// - dist/kubectl-autoupdate.mjs + dist/chunks/: split at the CLI's dynamic imports, so `--version` and
//   `--help` are answered by a small entry file alone (the program's help is made here, at build time), a
//   refused flag reads the program's chunk too, and all leave execa, chalk, ora, yaml and the registry
//   client unread (bin/kubectl-autoupdate runs this); the entry file and the program's chunk each hold the
//   modules they import (merge-start-chunks.mjs);
// - dist/kubectl-autoupdate.single.cjs: the same in one CommonJS file, for the self-contained executables
//   (a Node single-executable application holds one script). CommonJS, because an ES module's imports of
//   Node's own modules are all loaded before it runs (https, tls, crypto, readline... for --version too),
//   while a bundled CommonJS file requires them only when the code that needs them first runs: --version
//   starts ~50 ms sooner;
// - dist/THIRD_PARTY_LICENSES: the licences of the npm packages both hold.
import { execFileSync } from "node:child_process";
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
 * The program's help, as `kubectl autoupdate --help` prints it, made by the sources' own program: the entry
 * file prints it for `--help`, `-h` and a bare command without loading the option parser, which is most of
 * what those starts cost. Its width is fixed (src/cli/program.ts), so it is the text of every terminal.
 */
async function programHelp() {
  const script = `import { createProgram } from "./program.js";
process.stdout.write(createProgram({ stdout: process.stdout, stderr: process.stderr }, ["--help"]).helpInformation());`;
  const { outputFiles } = await build({
    ...common,
    stdin: { contents: script, resolveDir: "src/cli", sourcefile: "program-help.ts", loader: "ts" },
    format: "cjs",
    legalComments: "none",
    write: false,
  });
  return execFileSync(process.execPath, ["-"], { input: outputFiles[0].text, encoding: "utf8" });
}

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

/** What the entry file is built with: the help it prints. */
const define = { PROGRAM_HELP: JSON.stringify(await programHelp()) };

// Chunk names carry a hash: without this, every build would leave the last one's chunks behind.
rmSync("dist/chunks", { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    define,
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
    define,
    entryPoints: ["src/bin.ts"],
    format: "cjs",
    outfile: "dist/kubectl-autoupdate.single.cjs",
    metafile: true,
  }).then(({ metafile }) => writeFileSync("dist/THIRD_PARTY_LICENSES", thirdPartyLicenses(metafile))),
]);
