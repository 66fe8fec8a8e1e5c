// esbuild splits every module that the entry file or the program shares with a verb into a chunk of its
// own, and Node.js's loader costs ~0.3 ms a module: `--help` would read 13 files under dist/ where two do.
// This folds each start file's static imports back into it, after esbuild: first the program's (less what
// the entry file loads), then the entry file's; every other chunk then imports those modules from the file
// that holds them. That is safe because no chunk is loaded but after the entry file and, for a verb's,
// after the program: each module still exists once and runs once, before anything that imports it.
import { dirname, relative, resolve } from "node:path";
import { build } from "esbuild";

/**
 * Returns the output files with the static imports of the program's chunk and of the entry file folded
 * into them, given esbuild's output files and metafile, the executable's entry point and the program's.
 */
export async function mergeStartChunks(outputFiles, metafile, entryPoint, programEntryPoint) {
  const outputs = metafile.outputs;
  const outputOf = (source) => {
    const found = Object.keys(outputs).find((key) => outputs[key].entryPoint === source);
    if (!found) throw new Error(`merge-start-chunks: no output for ${source}`);
    return resolve(found);
  };
  const staticClosure = (path, into = new Set()) => {
    if (into.has(path)) return into;
    into.add(path);
    for (const { path: imported, kind, external } of outputs[relative(".", path)].imports)
      if (kind === "import-statement" && !external) staticClosure(resolve(imported), into);
    return into;
  };
  const entry = outputOf(entryPoint);
  const program = outputOf(programEntryPoint);
  const entryClosure = staticClosure(entry);
  const texts = new Map(outputFiles.map((file) => [file.path, file.text]));
  /** Each folded chunk, and the file that holds it now. */
  const movedTo = new Map();
  for (const [into, closure] of [
    [program, [...staticClosure(program)].filter((path) => !entryClosure.has(path))],
    [entry, [...entryClosure]],
  ]) {
    const folded = closure.filter((path) => path !== into);
    if (folded.length === 0) continue;
    texts.set(into, await fold(into, folded, texts, outputs));
    for (const path of folded) {
      movedTo.set(path, into);
      texts.delete(path);
    }
  }
  return [...texts].map(([path, text]) => {
    let rewritten = text;
    for (const [from, to] of movedTo)
      rewritten = rewritten.replaceAll(specifier(path, from), specifier(path, to));
    return { path, text: rewritten };
  });
}

/** How the file at `importer` names the one at `path` in an import (as esbuild writes it). */
function specifier(importer, path) {
  const to = relative(dirname(importer), path);
  return JSON.stringify(to.startsWith(".") ? to : `./${to}`);
}

/** The text of `into` with the chunks `folded` bundled into it, exporting all that each exported. */
async function fold(into, folded, texts, outputs) {
  // `into` first: its modules then run in the order its imports name them, as before.
  const merged = new Set([into, ...folded]);
  const result = await build({
    stdin: {
      contents: [...merged].map((path) => `export * from ${JSON.stringify(path)};`).join("\n"),
      resolveDir: dirname(into),
    },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    metafile: true,
    outfile: into,
    logLevel: "warning",
    plugins: [
      {
        name: "merge-start-chunks",
        setup(pass) {
          pass.onResolve({ filter: /.*/ }, ({ path, resolveDir }) => {
            // Node's own modules (`node:fs`, or `os` as some dependencies write it) stay as written.
            if (!path.startsWith(".") && !path.startsWith("/")) return { path, external: true };
            const absolute = resolve(resolveDir, path);
            // Relative: the output names it in a comment, and must not depend on where the build ran.
            if (merged.has(absolute)) return { path: relative(".", absolute), namespace: "chunk" };
            // Another chunk: imported from where `into` lies.
            return { path: JSON.parse(specifier(into, absolute)), external: true };
          });
          pass.onLoad({ filter: /.*/, namespace: "chunk" }, ({ path }) => ({
            contents: texts.get(resolve(path)),
            loader: "js",
            resolveDir: dirname(resolve(path)),
          }));
        },
      },
    ],
  });
  // `export *` drops a name two modules export: every name must come through.
  const expected = [...merged].reduce((sum, path) => sum + outputs[relative(".", path)].exports.length, 0);
  const exported = Object.values(result.metafile.outputs)[0].exports.length;
  if (exported !== expected)
    throw new Error(`merge-start-chunks: ${expected} names exported before, ${exported} after merging`);
  return result.outputFiles[0].text;
}
