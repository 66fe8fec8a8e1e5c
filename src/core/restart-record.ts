/**
 * A ConfigMap that remembers restarts in vain (core/restarted-for.ts) for longer than the API server keeps
 * Events: one data key per controller, `NAMESPACE.UID`, holding that controller's newest record as JSON.
 * A record lasts while runs keep leaving pods for it (each such run stamps it again, as it records the Event
 * again) and is dropped a week after it last did: by then its tag has moved or its controller is gone.
 */
import type { RememberedRestart } from "./restarted-for.js";

/** Where the record is kept: `NAMESPACE/NAME` of a ConfigMap. */
export interface RecordRef {
  namespace: string;
  name: string;
}

/** How long a record no run has needed stays. */
export const recordKeptForMs = 7 * 24 * 60 * 60 * 1000;

/** Namespaces have no dots, UIDs no dots: the key is unique per controller and a valid ConfigMap key. */
function recordKey(restart: RememberedRestart): string {
  return `${restart.namespace}.${restart.controller.uid}`;
}

/** The records a ConfigMap's data holds; entries that do not read as one are ignored. */
export function recordsIn(data: Readonly<Record<string, string>> | undefined): RememberedRestart[] {
  const records: RememberedRestart[] = [];
  for (const value of Object.values(data ?? {})) {
    const record = parseRecord(value);
    if (record) records.push(record);
  }
  return records;
}

function parseRecord(value: string): RememberedRestart | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const { namespace, kind, name, uid, restartedFor, at } = parsed as Record<string, unknown>;
  const fields = [namespace, kind, name, uid, restartedFor, at];
  if (!fields.every((field) => typeof field === "string" && field !== "")) return null;
  const time = Date.parse(at as string);
  if (Number.isNaN(time)) return null;
  return {
    namespace: namespace as string,
    controller: { kind: kind as string, name: name as string, uid: uid as string },
    restartedFor: restartedFor as string,
    at: time,
  };
}

function formatRecord(restart: RememberedRestart): string {
  const { namespace, controller, restartedFor, at } = restart;
  const { kind, name, uid } = controller;
  return JSON.stringify({ namespace, kind, name, uid, restartedFor, at: new Date(at).toISOString() });
}

/**
 * The merge patch of the ConfigMap's data: each controller's newest record of this run set, and the records
 * no run has needed for a week removed (null). Null when nothing changes.
 */
export function recordChanges(
  data: Readonly<Record<string, string>> | undefined,
  recorded: readonly RememberedRestart[],
  now: number,
): Record<string, string | null> | null {
  const changes: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(data ?? {})) {
    const record = parseRecord(value);
    if (!record || now - record.at > recordKeptForMs) changes[key] = null;
  }
  const newest = new Map<string, RememberedRestart>();
  for (const restart of recorded) {
    const key = recordKey(restart);
    const kept = newest.get(key);
    if (!kept || restart.at >= kept.at) newest.set(key, restart);
  }
  for (const [key, restart] of newest) changes[key] = formatRecord(restart);
  return Object.keys(changes).length === 0 ? null : changes;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `NAMESPACE/NAME`, or null when it is not one. */
export function parseRecordRef(text: string): RecordRef | null {
  const [namespace, name, ...rest] = text.split("/");
  if (rest.length > 0 || namespace === undefined || name === undefined) return null;
  if (!dnsLabel.test(namespace) || namespace.length > 63) return null;
  if (!dnsSubdomain.test(name) || name.length > 253) return null;
  return { namespace, name };
}
