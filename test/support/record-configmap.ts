/**
 * The record ConfigMap as an API server keeps it, behind kubectl's `get` and `patch`: each merge patch made
 * against the resourceVersion it carries (a Conflict otherwise), and refused when the data would pass the
 * 1 MiB a ConfigMap may hold (counted in UTF-8, as the API server counts it).
 */
import type { ExecResult } from "../../src/adapters/exec-result.js";

export const configMapLimit = 1024 * 1024;

export function dataBytes(data: Record<string, string>): number {
  return Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** The data after a merge patch of it: null removes a key. */
export function patched(
  data: Record<string, string>,
  changes: Record<string, string | null> | null,
): Record<string, string> {
  const result = { ...data };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

export interface RecordConfigMapHooks {
  /** Called at each `get`. */
  onGet?: () => void;
  /** Awaited before each `patch` is answered. */
  beforePatch?: () => Promise<void>;
}

export function recordConfigMap(
  initial: Record<string, string> = {},
  hooks: RecordConfigMapHooks = {},
  /** Others' binaryData, base64 as the API prints it; counted decoded against the limit, as the server does. */
  binaryData: Record<string, string> = {},
) {
  let data = { ...initial };
  const binaryBytes = Object.entries(binaryData).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.from(v, "base64").length,
    0,
  );
  let resourceVersion = 1;
  const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: "", interrupted: false });
  const refused = (stderr: string): ExecResult => ({ exitCode: 1, stdout: "", stderr, interrupted: false });
  const run = async (args: readonly string[]): Promise<ExecResult> => {
    if (args[0] === "get") {
      const printed = JSON.stringify({
        metadata: { name: "kubectl-autoupdate", resourceVersion: `${resourceVersion}` },
        data,
        ...(binaryBytes > 0 ? { binaryData } : {}),
      });
      hooks.onGet?.();
      return ok(printed);
    }
    if (args[0] !== "patch") throw new Error(`unexpected kubectl ${args.join(" ")}`);
    await hooks.beforePatch?.();
    const patch = JSON.parse(args.find((a) => a.startsWith("--patch="))!.slice("--patch=".length)) as {
      metadata: { resourceVersion?: string };
      data: Record<string, string | null>;
    };
    if (patch.metadata.resourceVersion !== `${resourceVersion}`) {
      return refused("Error from server (Conflict): the object has been modified\n");
    }
    const next = patched(data, patch.data);
    if (dataBytes(next) + binaryBytes > configMapLimit) {
      return refused(
        `The ConfigMap "kubectl-autoupdate" is invalid: []: Too long: must have at most ${configMapLimit} bytes\n`,
      );
    }
    data = next;
    return ok(`${++resourceVersion}`);
  };
  return { kubectl: { runUnchecked: run, runChange: run }, data: () => data };
}

/** How a run under --no-wait keeps its unchecked restarts: left to their Events. */
export const uncheckedLeftToEvents = { kept: false, serverClockAhead: async () => null };
