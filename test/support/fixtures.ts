/**
 * Files under test/fixtures: objects as a real API server printed them, shared by unit and integration tests.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./cli.js";

export function fixture(...path: string[]): string {
  return readFileSync(join(repoRoot, "test", "fixtures", ...path), "utf8");
}
