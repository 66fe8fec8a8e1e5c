/**
 * Reads and writes the ConfigMap that remembers restarts in vain (core/restart-record.ts): a `get` of it by
 * name, and a merge patch of only the keys that change, so no rule beyond `get` and `patch` on that one name
 * is needed once it exists. Made on the first write when it does not (that takes `create`, which a
 * CronJob's job lacks: install-cron makes it).
 */
import type { RecordRef } from "../core/restart-record.js";
import { ToolFailedError } from "../errors.js";
import { type ExecResult, howItEnded } from "./exec-result.js";
import { type Kubectl, parseList } from "./kubectl.js";
import { kubectlFailure, readKubectlStderr } from "./kubectl-errors.js";

/**
 * Like an Event, the record is a side note: a slow API server must not hold the run's end for long. (The
 * plan's read waits as the plan's other reads do.)
 */
const recordTimeoutMs = 20_000;

/** The ConfigMap's data; undefined when there is no such ConfigMap yet. */
export async function readRecord(
  kubectl: Pick<Kubectl, "runUnchecked">,
  ref: RecordRef,
): Promise<Record<string, string> | undefined> {
  return recordIn(await kubectl.runUnchecked(recordGet(ref)))?.data;
}

/** The ConfigMap as read to be written: its data, and the resourceVersion a write is made against. */
export interface RecordRead {
  data: Record<string, string>;
  /** What its binaryData takes of its size limit: keys, and values decoded, as the API server counts them. */
  binaryBytes: number;
  resourceVersion: string | undefined;
}

/**
 * The ConfigMap's data and resourceVersion, read to write it; undefined when there is no such ConfigMap yet.
 * Read as the write is made, with its timeout and asked again after a first Ctrl-C killed kubectl: the
 * run's record must not be cut short by it.
 */
export async function readRecordVersion(
  kubectl: Pick<Kubectl, "runChange">,
  ref: RecordRef,
): Promise<RecordRead | undefined> {
  const result = await kubectl.runChange(recordGet(ref), { timeoutMs: recordTimeoutMs });
  if (result.exitCode !== 0 && (result.interrupted || result.killedFromOutside)) {
    throw new ToolFailedError(`kubectl get configmaps: ${failure(result)}`);
  }
  return recordIn(result);
}

function recordGet(ref: RecordRef): string[] {
  return ["get", "configmaps", ref.name, `--namespace=${ref.namespace}`, "--ignore-not-found", "-o", "json"];
}

function recordIn(result: ExecResult): RecordRead | undefined {
  if (result.exitCode !== 0) throw kubectlFailure(result, "kubectl get");
  if (result.stdout.trim() === "") return undefined;
  const [configMap] = parseList<{
    metadata?: { resourceVersion?: string };
    data?: Record<string, string>;
    binaryData?: Record<string, string>;
  }>(result.stdout, "get configmaps");
  let binaryBytes = 0;
  for (const [key, value] of Object.entries(configMap?.binaryData ?? {})) {
    binaryBytes += Buffer.byteLength(key) + Buffer.byteLength(value, "base64");
  }
  return { data: configMap?.data ?? {}, binaryBytes, resourceVersion: configMap?.metadata?.resourceVersion };
}

/**
 * A patch is one argument of kubectl's, and Linux starts no program with an argument of 128 KiB or more
 * (MAX_ARG_STRLEN): a run that records several hundred controllers at once writes in parts of at most this.
 */
const maxPatchBytes = 64 * 1024;

/**
 * Writes the changes made against `read` (undefined: there was no record); the reason when that failed,
 * else null. "changed": the record changed since it was read (another run wrote it), and the changes are to
 * be made again against what it holds now, or they would undo that run's. Best-effort, like the Events.
 */
export async function writeRecord(
  kubectl: Pick<Kubectl, "runChange">,
  ref: RecordRef,
  changes: Readonly<Record<string, string | null>>,
  read: RecordRead | undefined,
): Promise<string | null | "changed"> {
  if (read === undefined) {
    // Made whole by create (its object goes on stdin); made meanwhile by another run: read again.
    const created = await createRecord(kubectl, ref, changes);
    return created === "exists" ? "changed" : created;
  }
  let resourceVersion = read.resourceVersion;
  for (const part of patchParts(changes)) {
    const patched = await kubectl.runChange(
      [
        "patch",
        "configmap",
        ref.name,
        `--namespace=${ref.namespace}`,
        "--type=merge",
        `--patch=${JSON.stringify({ metadata: { resourceVersion }, data: part })}`,
        "-o",
        "jsonpath={.metadata.resourceVersion}",
      ],
      { timeoutMs: recordTimeoutMs },
    );
    if (patched.exitCode !== 0) {
      const reason = failure(patched);
      return /\((Conflict|NotFound)\)/.test(reason) ? "changed" : reason;
    }
    // The next part is made against this one's result.
    resourceVersion = patched.stdout.trim() || undefined;
  }
  return null;
}

/** The changes in merge patches of at most maxPatchBytes each (one entry is ~400 bytes a move). */
function patchParts(changes: Readonly<Record<string, string | null>>): Record<string, string | null>[] {
  const parts: Record<string, string | null>[] = [];
  let part: Record<string, string | null> = {};
  let bytes = 0;
  for (const [key, value] of Object.entries(changes)) {
    const size = JSON.stringify(key).length + JSON.stringify(value).length + 2;
    if (bytes > 0 && bytes + size > maxPatchBytes) {
      parts.push(part);
      part = {};
      bytes = 0;
    }
    part[key] = value;
    bytes += size;
  }
  parts.push(part);
  return parts;
}

async function createRecord(
  kubectl: Pick<Kubectl, "runChange">,
  ref: RecordRef,
  changes: Readonly<Record<string, string | null>>,
): Promise<string | null | "exists"> {
  const data = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== null));
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: ref.name, namespace: ref.namespace },
    data,
  };
  const created = await kubectl.runChange(["create", "-f", "-", "-o", "name"], {
    input: JSON.stringify(configMap),
    timeoutMs: recordTimeoutMs,
  });
  if (created.exitCode === 0) return null;
  if (/\(AlreadyExists\)/.test(readKubectlStderr(created.stderr).line)) return "exists";
  // kubectl create names its input; here it is always stdin, which says nothing.
  const why = failure(created).replace('error when creating "STDIN": ', "");
  // install-cron makes it, and its job may not create one (create cannot be limited to a name).
  return `it does not exist and could not be made (for an installation's, run install-cron again with the flags it was installed with): ${why}`;
}

function failure(result: ExecResult): string {
  if (result.killedFromOutside) return `kubectl was ${howItEnded(result)}`;
  if (result.interrupted) return `no answer within ${recordTimeoutMs / 1000}s`;
  return readKubectlStderr(result.stderr).line || howItEnded(result);
}
