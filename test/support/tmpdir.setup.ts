/**
 * vitest globalSetup, first in every project: the run's temporary files go to one directory (TMPDIR for
 * the workers and every process they start), removed when the run ends, so tests leave nothing behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup() {
  const previous = process.env["TMPDIR"];
  const dir = mkdtempSync(join(previous ?? tmpdir(), "kau-run-"));
  process.env["TMPDIR"] = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = previous;
  };
}
