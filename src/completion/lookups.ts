/**
 * The values completion reads from kubectl: namespaces from the cluster the typed flags point at,
 * contexts, clusters and users from the kubeconfig, as kubectl completes them. Bounded in time, as a TAB
 * must not hang on an unreachable cluster.
 */

import { parseConfigView } from "../adapters/config-view.js";
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
  const fromKubeconfig = lookup !== "namespaces";
  const connection = fromKubeconfig
    ? { kubeconfig: options.connection.kubeconfig }
    : { requestTimeout: "4s", ...withoutUndefined(options.connection) };
  const kubectl = new Kubectl(createExec(), options.kubectlPath, connection);
  // The kubeconfig's names exactly, from its JSON: a name may hold anything (`namespace/prod`, spaces, a
  // newline), which get-contexts' lines would change.
  const args = fromKubeconfig ? ["config", "view", "-o", "json"] : ["get", "namespaces", "-o", "name"];
  const answer = kubectl.runUnchecked(args, { signal: AbortSignal.timeout(timeoutMs) });
  // kubectl is killed at the timeout, but what it started (a credential plugin waiting for a login in a
  // browser) may hold its stderr open for minutes: the TAB does not wait for that.
  const late = new Promise<null>((resolve) => setTimeout(resolve, timeoutMs + 500, null).unref());
  const result = await Promise.race([answer, late]);
  if (result === null || result.exitCode !== 0) return null;
  const names = fromKubeconfig ? kubeconfigNames(result.stdout, lookup) : namespaceNames(result.stdout);
  // A control character would break the answer's lines, or reach the terminal.
  return names?.filter((name) => name !== "" && !/[\x00-\x1f\x7f]/.test(name)) ?? null;
}

function namespaceNames(stdout: string): string[] {
  return stdout.split("\n").map((line) => line.trim().replace(/^namespace\//, ""));
}

function kubeconfigNames(stdout: string, list: "contexts" | "clusters" | "users"): string[] | null {
  const view = parseConfigView(stdout);
  return view ? (view[list] ?? []).flatMap(({ name }) => (typeof name === "string" ? [name] : [])) : null;
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}
