/**
 * The bundle's shape (scripts/build.mjs): what a start loads. `--version` reads one file and no option
 * parser, and the program is one more; the verbs' chunks import what they share with those from them, so
 * each module still exists once (a typed error thrown by a verb is the class main() knows). A plan's
 * printer loads what its format needs.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runMain } from "../support/cli.js";

const dist = join(repoRoot, "dist");
const read = (file: string) => readFileSync(join(dist, file), "utf8");
const files = ["kubectl-autoupdate.mjs", ...readdirSync(join(dist, "chunks")).map((f) => `chunks/${f}`)];

/** The files a file's static imports load, itself included, as paths under dist/. */
function staticClosure(file: string, into = new Set<string>()): Set<string> {
  if (into.has(file)) return into;
  into.add(file);
  for (const [, specifier] of read(file).matchAll(/^(?:import|export)\b[^;]*?["'](\.\.?\/[^"']+)["'];/gms))
    staticClosure(relative(dist, join(dist, dirname(file), specifier!)), into);
  return into;
}

const entry = staticClosure("kubectl-autoupdate.mjs");
/** Commander's own text: where it is, the option parser is. */
const optionParser = /error: unknown flag/;
const programImport = /import\("\.\/(chunks\/main-[^"]+)"\)/.exec(read("kubectl-autoupdate.mjs"));

describe("the bundle", () => {
  it("answers --version from one file, without the option parser", () => {
    expect([...entry]).toEqual(["kubectl-autoupdate.mjs"]);
    expect(read("kubectl-autoupdate.mjs")).not.toMatch(optionParser);
  });

  it.each([
    ["--help", ["--help"]],
    ["-h", ["-h"]],
    ["a bare command", []],
  ])("answers %s from the entry file alone with the program's help", async (_, args) => {
    // The entry file with no chunks beside it: loading the program's would fail.
    const alone = join(mkdtempSync(join(tmpdir(), "kau-entry-")), "kubectl-autoupdate.mjs");
    copyFileSync(join(dist, "kubectl-autoupdate.mjs"), alone);
    const printed = spawnSync(process.execPath, [alone, ...args], { encoding: "utf8" });
    expect([printed.status, printed.stdout, printed.stderr]).toEqual([
      0,
      (await runMain(["--help"])).stdout,
      "",
    ]);
  });

  it("loads the program as one module beyond what the entry file loads", () => {
    expect(programImport, "the entry file imports the program's chunk").not.toBeNull();
    const program = programImport![1]!;
    expect(read(program)).toMatch(optionParser);
    expect([...staticClosure(program)].filter((file) => !entry.has(file))).toEqual([program]);
  });

  it("imports, statically or on demand, only files that are there", () => {
    for (const file of files)
      for (const [, specifier] of read(file).matchAll(/(?:from|import)\s*\(?\s*"(\.\.?\/[^"]+)"/g))
        expect(existsSync(join(dist, dirname(file), specifier!)), `${file} imports ${specifier}`).toBe(true);
  });

  it("prints a JSON plan without loading the yaml library or cli-table3, which the other formats load", () => {
    const renderPlan = files.find((file) => file.startsWith("chunks/render-plan-"))!;
    const renderer = (form: RegExp) => `chunks/${form.exec(read(renderPlan))![1]}`;
    const loads = (file: string, marker: RegExp) =>
      [...staticClosure(renderPlan), ...staticClosure(file)].some((f) => marker.test(read(f)));
    const yaml = /Symbol\.for\("yaml\.alias"\)/;
    const table = /node_modules\/cli-table3\//;
    const json = renderer(/import\("\.\/(plan-document-(?!yaml-)[^"]+)"\)/);
    expect([loads(json, yaml), loads(json, table)]).toEqual([false, false]);
    expect(loads(renderer(/import\("\.\/(plan-document-yaml-[^"]+)"\)/), yaml)).toBe(true);
    expect(loads(renderer(/import\("\.\/(plan-table-[^"]+)"\)/), table)).toBe(true);
  });

  it.each([
    ["AutoupdateError", "a typed error thrown by a verb is the class main() maps to an exit code"],
    ["removePrivateDirs", "the private docker configs the verbs made are the ones removed at exit"],
    ["sharedSignal", "the verbs see the signal the entry file was given"],
  ])("declares %s in one file only: %s", (name) => {
    const declaration = new RegExp(`^(?:var ${name} = class\\b|class ${name}\\b|function ${name}\\()`, "m");
    expect(files.filter((file) => declaration.test(read(file)))).toHaveLength(1);
  });
});
