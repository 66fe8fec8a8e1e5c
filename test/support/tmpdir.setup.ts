/**
 * vitest globalSetup, first in every project: the run's temporary files go to one directory (TMPDIR for
 * the workers and every process they start), removed when the run ends, so tests leave nothing behind.
 *
 * Every project's globalSetup runs in the same process before any test, so the projects share the one
 * directory (held on globalThis, which they share) rather than nesting one in another: a real node's
 * containerd socket lives under it, and a unix socket's path may not exceed 104 bytes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface RunDir {
  dir: string;
  previous: string | undefined;
  /** Projects whose teardown has not run yet. */
  users: number;
}

const shared = globalThis as { kauRunDir?: RunDir };

export default function setup() {
  if (!shared.kauRunDir) {
    const previous = process.env["TMPDIR"];
    shared.kauRunDir = { dir: mkdtempSync(join(previous ?? tmpdir(), "kau-run-")), previous, users: 0 };
    process.env["TMPDIR"] = shared.kauRunDir.dir;
  }
  const run = shared.kauRunDir;
  run.users++;
  return () => {
    if (--run.users > 0) return;
    rmSync(run.dir, { recursive: true, force: true });
    if (run.previous === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = run.previous;
    delete shared.kauRunDir;
  };
}
