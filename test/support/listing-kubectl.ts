/**
 * A Kubectl adapter over a kubectl that prints lists from memory: `pages` are one list's pages (a continue
 * token on all but the last); a call without a token gets the first. With `expireFirstContinue`, the first
 * continued call is answered 410 Expired, as the API server answers a token it no longer keeps. It has no
 * `kubectl proxy` (that call fails, unrecorded), so every page is a call of its own.
 */
import type { Exec } from "../../src/adapters/exec.js";
import { Kubectl } from "../../src/adapters/kubectl.js";

const expired =
  "Error from server (Expired): The provided continue parameter is too old to display a consistent list result.";

export function kubectlListing(
  pages: unknown[][],
  listSignal?: AbortSignal,
  { expireFirstContinue = false } = {},
) {
  /** Each call's arguments, and whether it was told to stop (its signal aborted) as it started. */
  const calls: string[][] = [];
  const stopped: boolean[] = [];
  const exec = (async (
    _file: string,
    args: readonly string[],
    options?: { onStdout?: (c: string) => void; signal?: AbortSignal },
  ) => {
    if (args.includes("proxy")) return { exitCode: 1, stdout: "", stderr: "", interrupted: false };
    calls.push([...args]);
    stopped.push(options?.signal?.aborted === true);
    const continued = args.some((a) => a.includes("continue="));
    if (continued && expireFirstContinue) {
      expireFirstContinue = false;
      return { exitCode: 1, stdout: "", stderr: `${expired}\n`, interrupted: false };
    }
    const page = continued ? Number(/continue=page-(\d+)/.exec(args.at(-1) ?? "")?.[1]) : 0;
    const metadata = page + 1 < pages.length ? { continue: `page-${page + 1}` } : {};
    options?.onStdout?.(
      JSON.stringify({ apiVersion: "v1", kind: "List", metadata, items: pages[page] ?? [] }),
    );
    return { exitCode: 0, stdout: "", stderr: "", interrupted: false };
  }) as Exec;
  return { calls, stopped, kubectl: new Kubectl(exec, "kubectl", { context: "prod" }, listSignal) };
}
