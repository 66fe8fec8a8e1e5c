// THIRD_PARTY_LICENSES: the licence of every npm package a bundle holds. MIT, ISC and Apache-2.0 each ask
// that their notice travel with every copy of the code, and the bundle, the executables, the krew archives
// and the image are all copies.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The package directories (`node_modules/a`, `node_modules/b/node_modules/c`) a build's inputs come from. */
export function bundledPackageDirs(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) dirs.add(match[1]);
  }
  return [...dirs];
}

/** The text of THIRD_PARTY_LICENSES for a build's metafile; a package without a licence file fails it. */
export function thirdPartyLicenses(metafile) {
  const seen = new Map();
  for (const dir of bundledPackageDirs(metafile)) {
    const { name, version, license } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const file = readdirSync(dir).find((entry) => /^(licen[cs]e|copying)([.-]|$)/i.test(entry));
    if (file === undefined) throw new Error(`${dir}: no licence file to ship with the bundle`);
    seen.set(`${name}@${version}`, { name, version, license, text: readFileSync(join(dir, file), "utf8") });
  }
  // By code unit, not the build machine's locale: the archives must not differ with its LANG.
  const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const packages = [...seen.values()].sort(
    (a, b) => byCodeUnits(a.name, b.name) || byCodeUnits(a.version, b.version),
  );
  const rule = "=".repeat(78);
  const sections = packages.map(
    (p) => `${rule}\n${p.name} ${p.version} (${p.license})\n${rule}\n\n${p.text.trim()}\n`,
  );
  return `kubectl-autoupdate holds the code of these npm packages, under these licences.\n\n${sections.join("\n")}`;
}
