// Makes the krew archive (bin/ launcher, the bundle, LICENSE) reproducibly, and writes its sha256 into
// krew-manifest.yaml. Run `npm run pack` after `npm run build`; commit the manifest with the release.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2] ?? "dist";
const archive = join(out, "kubectl-autoupdate.tar.gz");
mkdirSync(out, { recursive: true });
const files = ["LICENSE", "bin/kubectl-autoupdate", "dist/kubectl-autoupdate.mjs"];
// Fixed order, owners and times, and gzip without a timestamp: the same sources give the same bytes.
const tar = execFileSync("tar", [
  "--create",
  "--sort=name",
  "--mtime=@0",
  "--owner=0",
  "--group=0",
  "--numeric-owner",
  "--mode=u+rw,go+r,a-s",
  "--format=gnu",
  ...files,
]);
writeFileSync(archive, execFileSync("gzip", ["-n", "-9"], { input: tar }));
const sha256 = createHash("sha256").update(readFileSync(archive)).digest("hex");

const version = JSON.parse(readFileSync("package.json", "utf8")).version;
const manifest = readFileSync("krew-manifest.yaml", "utf8")
  .replace(/^(\s+sha256: )"?[0-9a-f]*"?$/gm, `$1${sha256}`)
  .replace(/^(\s+version: )v\S+$/m, `$1v${version}`)
  .replace(/(releases\/download\/)v[^/]+\//g, `$1v${version}/`);
if (process.argv[2] === undefined) writeFileSync("krew-manifest.yaml", manifest);
process.stdout.write(`${archive} sha256 ${sha256}\n`);
