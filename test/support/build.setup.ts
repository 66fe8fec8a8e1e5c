/** vitest globalSetup: tests spawn the real bundled CLI, so build it once per run. */
import { execFileSync } from "node:child_process";

export default function setup() {
  execFileSync("node", ["scripts/build.mjs"], { stdio: "inherit" });
}
