/**
 * THIRD_PARTY_LICENSES is in every krew archive and the image: its bytes must not depend on the build
 * machine's locale, or the same sources would not give the same archives.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "kau-unit-licences-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Names whose order some locales change: Thai collation ignores the hyphen, Danish sorts "aa" last.
const names = ["is-stream", "isexe", "is-plain-obj", "aardvark", "which", "zebra"];
for (const name of names) {
  const dir = join(root, "node_modules", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", license: "MIT" }));
  writeFileSync(join(dir, "LICENSE"), `${name}'s licence\n`);
}

/** The file's package order, made by a Node.js run in `locale`. */
function orderIn(locale: string): string[] {
  const script = `
    import { thirdPartyLicenses } from ${JSON.stringify(join(process.cwd(), "scripts/third-party-licenses.mjs"))};
    const inputs = Object.fromEntries(${JSON.stringify(names)}.map((n) => ["node_modules/" + n + "/index.js", {}]));
    process.stdout.write(thirdPartyLicenses({ inputs }));
  `;
  const text = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, LANG: locale, LC_ALL: locale },
    encoding: "utf8",
  });
  return [...text.matchAll(/^(\S+) 1\.0\.0 \(MIT\)$/gm)].map((match) => match[1]!);
}

describe("THIRD_PARTY_LICENSES", () => {
  it("lists the packages by code unit, whatever the locale", () => {
    const sorted = ["aardvark", "is-plain-obj", "is-stream", "isexe", "which", "zebra"];
    for (const locale of ["C.UTF-8", "th_TH.UTF-8", "da_DK.UTF-8"]) expect(orderIn(locale)).toEqual(sorted);
  });
});
