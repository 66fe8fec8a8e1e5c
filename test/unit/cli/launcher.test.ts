/**
 * bin/kubectl-autoupdate, the launcher a source install puts on PATH: CommonJS (bin/package.json), which any
 * Node.js reads, so that one older than the bundle needs, or a checkout not built yet, is told what to do in
 * one line. (An extensionless ES module, as it was, dies in Node's module loader before 20.10.)
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";

const root = join(import.meta.dirname, "../../..");
const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/**
 * The launcher copied where no bundle is built (or, with `bundleDir`, a directory is in the bundle's
 * place), and a preload making Node.js say it is `version`.
 */
function unbuiltCheckout(version: string, bundleDir = false) {
  const dir = mkdtempSync(join(tmpdir(), "kau-launcher-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "bin"));
  if (bundleDir) mkdirSync(join(dir, "dist", "kubectl-autoupdate.mjs"), { recursive: true });
  for (const file of ["kubectl-autoupdate", "package.json"]) {
    copyFileSync(join(root, "bin", file), join(dir, "bin", file));
  }
  const preload = join(dir, "node-version.cjs");
  writeFileSync(
    preload,
    `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} });
Object.defineProperty(process, "version", { value: "v${version}" });\n`,
  );
  const result = spawnSync(
    process.execPath,
    ["--require", preload, join(dir, "bin", "kubectl-autoupdate"), "plan"],
    {
      encoding: "utf8",
    },
  );
  return { dir, status: result.status, stderr: result.stderr };
}

describe("the launcher", () => {
  it("asks for the Node.js engines.node names", () => {
    expect(packageJson.engines.node).toBe(">=20.10");
  });

  it.each(["20.9.0", "18.20.8", "12.22.12"])(
    "on Node.js %s refuses in one line naming the one it needs",
    (version) => {
      const { status, stderr } = unbuiltCheckout(version);
      expect({ status, stderr }).toEqual({
        status: 1,
        stderr: `error: kubectl-autoupdate needs Node.js 20.10 or newer, and this is v${version}: install a newer one, or the self-contained executable (see the README's Install)\n`,
      });
    },
  );

  it.each(["20.10.0", "22.0.0"])(
    "on Node.js %s, in a checkout not built, says how to build it",
    (version) => {
      const { dir, status, stderr } = unbuiltCheckout(version);
      expect(status).toBe(1);
      expect(stderr).toMatch(
        /^error: kubectl-autoupdate is not built here \(Cannot find module '.*'.*\): run /,
      );
      expect(stderr).toBe(`${stderr.split("\n")[0]}\n`);
      expect(stderr).toContain(`run \`npm ci && npm run build\` in ${dir}\n`);
    },
  );

  it("with a bundle that cannot be loaded (a directory in its place), says so in one line", () => {
    const { dir, status, stderr } = unbuiltCheckout("22.0.0", true);
    expect({ status, stderr }).toEqual({
      status: 1,
      stderr: `error: cannot load ${join(dir, "dist", "kubectl-autoupdate.mjs")} (ERR_UNSUPPORTED_DIR_IMPORT): check that it can be read, or reinstall\n`,
    });
  });
});
