/**
 * A Kubectl adapter over a kubectl that prints lists from memory: each call gets the next of `pages` (one
 * page, or the pages of a paged read in turn, a continue token on all but the last).
 */
import type { Exec } from "../../src/adapters/exec.js";
import { Kubectl } from "../../src/adapters/kubectl.js";

export function kubectlListing(pages: unknown[][], listSignal?: AbortSignal) {
  /** Each call's arguments, and whether it was told to stop (its signal aborted) as it started. */
  const calls: string[][] = [];
  const stopped: boolean[] = [];
  const exec = (async (
    _file: string,
    args: readonly string[],
    options?: { onStdout?: (c: string) => void; signal?: AbortSignal },
  ) => {
    const page = calls.length;
    calls.push([...args]);
    stopped.push(options?.signal?.aborted === true);
    const metadata = page + 1 < pages.length ? { continue: `page-${page + 1}` } : {};
    options?.onStdout?.(
      JSON.stringify({ apiVersion: "v1", kind: "List", metadata, items: pages[page] ?? [] }),
    );
    return { exitCode: 0, stdout: "", stderr: "", interrupted: false };
  }) as Exec;
  return { calls, stopped, kubectl: new Kubectl(exec, "kubectl", { context: "prod" }, listSignal) };
}
