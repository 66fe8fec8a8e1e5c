/**
 * bin/kubectl-autoupdate, the launcher a source install puts on PATH: an extensionless ES module (it sits
 * under the package's "type": "module"), which Node.js runs only from 20.10 (nodejs/node#49974; before,
 * ERR_UNKNOWN_FILE_EXTENSION). The Node.js the package asks for must run it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const packageJson = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

describe("the launcher and the Node.js the package asks for", () => {
  it("engines.node is no older than what runs an extensionless ES module", () => {
    const launcher = readFileSync(join(root, "bin", "kubectl-autoupdate"), "utf8");
    const binPackage = join(root, "bin", "package.json");
    const type = existsSync(binPackage)
      ? JSON.parse(readFileSync(binPackage, "utf8")).type
      : packageJson.type;
    const isModule = type === "module" && /^import\s/m.test(launcher);
    const [major, minor] = /(\d+)\.(\d+)/.exec(packageJson.engines.node)!.slice(1).map(Number) as [
      number,
      number,
    ];
    const runsIt = major > 20 || (major === 20 && minor >= 10);
    expect({ floor: packageJson.engines.node, runsLauncher: !isModule || runsIt }).toEqual({
      floor: packageJson.engines.node,
      runsLauncher: true,
    });
  });
});
