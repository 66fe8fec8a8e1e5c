/**
 * The values completion reads from kubectl: namespaces from the cluster the typed flags point at,
 * contexts from the kubeconfig. Bounded in time, as a TAB must not hang on an unreachable cluster.
 */
import { parseConnectionOptions, type RawConnectionFlags } from "../cli/options.js";
import type { Io } from "../io.js";
import type { Lookup, TypedFlags } from "./complete.js";

/** What a TAB may wait for kubectl (its own discovery retries would take far longer on a dead server). */
const lookupTimeoutMs = 5000;

/** The names the lookup finds, or null when kubectl failed (no cluster, no permission, too slow). */
export async function lookUp(
  lookup: Lookup,
  typed: TypedFlags,
  io: Io,
  timeoutMs = lookupTimeoutMs,
): Promise<string[] | null> {
  const { createExec } = await import("../adapters/exec.js");
  const { Kubectl } = await import("../adapters/kubectl.js");
  const options = parseConnectionOptions(typed as RawConnectionFlags, io.env);
  const connection =
    lookup === "contexts"
      ? { kubeconfig: options.connection.kubeconfig }
      : { requestTimeout: "4s", ...withoutUndefined(options.connection) };
  const kubectl = new Kubectl(createExec(), options.kubectlPath, connection);
  const args =
    lookup === "contexts" ? ["config", "get-contexts", "-o", "name"] : ["get", "namespaces", "-o", "name"];
  const answer = kubectl.runUnchecked(args, { signal: AbortSignal.timeout(timeoutMs) });
  // kubectl is killed at the timeout, but what it started (a credential plugin waiting for a login in a
  // browser) may hold its stderr open for minutes: the TAB does not wait for that.
  const late = new Promise<null>((resolve) => setTimeout(resolve, timeoutMs + 500, null).unref());
  const result = await Promise.race([answer, late]);
  if (result === null || result.exitCode !== 0) return null;
  return result.stdout
    .split("\n")
    .map((line) => line.trim().replace(/^namespace\//, ""))
    .filter((name) => name !== "");
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
