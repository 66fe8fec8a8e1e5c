// Bundles the CLI and its dependencies, so the plugin needs only `node`:
// - dist/kubectl-autoupdate.mjs + dist/chunks/: split at the CLI's dynamic imports, so `--version`, `--help`
//   and a refused flag read a small entry file and leave execa, chalk, ora, yaml and the registry client
//   unread (bin/kubectl-autoupdate runs this);
// - dist/kubectl-autoupdate.single.cjs: the same in one CommonJS file, for the self-contained executables
//   (a Node single-executable application holds one script). CommonJS, because an ES module's imports of
//   Node's own modules are all loaded before it runs (https, tls, crypto, readline... for --version too),
//   while a bundled CommonJS file requires them only when the code that needs them first runs: --version
//   starts ~50 ms sooner.
import { rmSync } from "node:fs";
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  legalComments: "linked",
  logLevel: "warning",
};

// Chunk names carry a hash: without this, every build would leave the last one's chunks behind.
rmSync("dist/chunks", { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    entryPoints: { "kubectl-autoupdate": "src/bin.ts" },
    format: "esm",
    // Some bundled CommonJS dependencies call require(); give every ESM output file one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
  }),
  build({
    ...common,
    entryPoints: ["src/bin.ts"],
    format: "cjs",
    outfile: "dist/kubectl-autoupdate.single.cjs",
  }),
]);
