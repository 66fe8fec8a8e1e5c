/**
 * Private temporary directories (0700) for credentials handed to child programs. Every one is removed
 * when the process exits, normally, on error or on a signal (main.ts calls removePrivateDirs).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const created = new Set<string>();

/** Creates a 0700 directory under the system temp dir; remembered for removal at exit. */
export function createPrivateDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  created.add(dir);
  return dir;
}

/** Writes a file only the owner can read, inside a private directory. */
export function writePrivateFile(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** Removes one private directory now. */
export function removePrivateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  created.delete(dir);
}

/** Removes every private directory still present; synchronous so it can run in an exit handler. */
export function removePrivateDirs(): void {
  for (const dir of created) removePrivateDir(dir);
}
