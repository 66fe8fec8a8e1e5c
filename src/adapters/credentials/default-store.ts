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

/**
 * Whether a program is found on $PATH as Go's exec.LookPath finds it: the first directory holding it as an
 * executable file decides, and one named relatively (an empty entry is `.`) is refused (ErrDot, Go 1.19).
 */
function onPath(
  program: string,
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
): boolean {
  const extensions =
    platform === "win32" ? (env["PATHEXT"] || ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean) : [""];
  const dirs = (env["PATH"] ?? env["Path"] ?? "").split(delimiter).map((dir) => dir || ".");
  const holds = (dir: string) =>
    extensions.some((extension) => {
      const path = join(dir, program + extension.toLowerCase());
      try {
        if (!statSync(path).isFile()) return false;
        if (platform !== "win32") accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  const first = dirs.find(holds);
  return first !== undefined && isAbsolute(first);
}
