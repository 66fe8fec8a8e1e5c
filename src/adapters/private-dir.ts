/**
 * Private temporary directories (0700) for credentials handed to child programs. Every one is removed
 * when the process exits, normally, on error or on a signal (main.ts calls removePrivateDirs).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AutoupdateError } from "../errors.js";

const created = new Set<string>();

/** Creates a 0700 directory under the system temp dir; remembered for removal at exit. */
export function createPrivateDir(prefix: string): string {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  } catch (error) {
    throw unusableTmpdir("make a private directory", error);
  }
  created.add(dir);
  return dir;
}

/** Writes a file only the owner can read, inside a private directory. */
export function writePrivateFile(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  try {
    writeFileSync(path, content, { mode: 0o600 });
  } catch (error) {
    throw unusableTmpdir(`write ${name}`, error);
  }
  return path;
}

/** A temp directory missing, read-only or full (`docker run --read-only`, no tmpfs) says how to fix it. */
function unusableTmpdir(what: string, error: unknown): AutoupdateError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new AutoupdateError(
    `cannot ${what} in ${tmpdir()} (${code}); set TMPDIR to a directory this user can write, with room to spare`,
    { cause: error },
  );
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
