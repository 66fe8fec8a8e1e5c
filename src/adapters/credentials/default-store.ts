/**
 * The credential store docker uses when its config names none (docker/cli's DetectDefaultStore): a config
 * with no `auths`, `credsStore` or `credHelpers` takes the platform's helper where its program is installed
 * (`pass` where the `pass` tool is, else `secretservice`, on Linux; `osxkeychain` on macOS; `wincred` on
 * Windows), so a credential `docker login` stored there is the config's.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** The helper docker would use for a config with no credential of its own, or null. */
export function defaultCredentialStore(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
): string | null {
  const found = (program: string) => onPath(program, env, platform);
  const store =
    platform === "linux"
      ? found("pass")
        ? "pass"
        : "secretservice"
      : platform === "darwin"
        ? "osxkeychain"
        : platform === "win32"
          ? "wincred"
          : null;
  return store !== null && found(`docker-credential-${store}`) ? store : null;
}

/** Whether a program is an executable file in a directory of $PATH, as Go's exec.LookPath finds it. */
function onPath(
  program: string,
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
): boolean {
  const extensions =
    platform === "win32" ? (env["PATHEXT"] || ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean) : [""];
  // A directory named relatively (`.`, `bin`) Go refuses since 1.19 (ErrDot), and docker then uses no store.
  const dirs = (env["PATH"] ?? env["Path"] ?? "").split(delimiter).filter((dir) => isAbsolute(dir));
  return dirs.some((dir) =>
    extensions.some((extension) => {
      const path = join(dir, program + extension.toLowerCase());
      try {
        if (!statSync(path).isFile()) return false;
        if (platform !== "win32") accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
}
