// Bundles the CLI and its dependencies, so the plugin needs only `node`:
// - dist/kubectl-autoupdate.mjs + dist/chunks/: split at the CLI's dynamic imports, so `--version`, `--help`
//   and a refused flag read a small entry file and leave execa, chalk, ora, yaml and the registry client
//   unread (bin/kubectl-autoupdate runs this);
// - dist/kubectl-autoupdate.single.mjs: the same in one file, for the self-contained executables (a Node
//   single-executable application holds one script).
import { build } from "esbuild";

const common = {
  entryPoints: { "kubectl-autoupdate": "src/bin.ts" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Some bundled CommonJS dependencies call require(); give every ESM output file one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  legalComments: "linked",
  logLevel: "warning",
};

await Promise.all([
  build({
    ...common,
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
  }),
  build({ ...common, entryPoints: ["src/bin.ts"], outfile: "dist/kubectl-autoupdate.single.mjs" }),
]);
