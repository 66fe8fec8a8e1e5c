/**
 * A ConfigMap that remembers restarts in vain (core/restarted-for.ts) for longer than the API server keeps
 * Events: one data key per controller, `NAMESPACE.UID`, holding that controller and each move it was
 * restarted for in vain (one remembered restart each: pods on different nodes may come back on different old
 * digests), and each move of a restart not checked that a run has since held pods for (with when that
 * restart was). A remembered restart lasts while runs keep holding pods for it (each such run stamps it
 * again, as it records the Event again); eight days after it last did it is no longer read, and the next
 * write removes it: by then its tag has moved or its controller is gone (or the runs stopped for that long,
 * and one more restart is fair). The oldest go sooner when the record would outgrow what a ConfigMap holds.
 * Keys of any other shape are not this tool's: never read, never removed.
 */
import { groupBy } from "../util/group-by.js";
import { isDnsLabel, isObjectName } from "./object-name.js";
import { mergeRemembered, type RememberedRestart } from "./restarted-for.js";

/** Where the record is kept: `NAMESPACE/NAME` of a ConfigMap. */
export interface RecordRef {
  namespace: string;
  name: string;
}

/**
 * How long a remembered restart no run has needed stays: a week, and a day more so that a weekly schedule
 * (runs a week apart, give or take their own length) keeps it.
 */
export const recordKeptForMs = 8 * 24 * 60 * 60 * 1000;

/** Namespaces have no dots, UIDs no dots: the key is unique per controller and a valid ConfigMap key. */
function entryKey(restart: Pick<RememberedRestart, "namespace" | "controller">): string {
  return `${restart.namespace}.${restart.controller.uid}`;
}

/** A namespace, a dot and a UID as the API server makes them: no key of anyone else's looks like it. */
const entryKeyShape =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What one controller's entry may hold: it is written as one argument of kubectl's (a merge patch), and Linux
 * starts no program with an argument of 128 KiB or more, escapes and all; the newest restarts are kept.
 */
export const maxEntryBytes = 32 * 1024;

/** The stamps this tool writes (Date#toISOString). */
const stampShape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** One controller's entry as stored. */
interface StoredController {
  namespace: string;
  kind: string;
  name: string;
  uid: string;
  restarts: { restartedFor: string; at: string; firstAt?: string; uncheckedRestartAt?: string }[];
}

/** How far ahead of this run's clock a stamp may be (another node's clock) and still count. */
const clockSkewMs = 60 * 60 * 1000;

/** A stamp as this tool writes it, at most `aheadMs` ahead of `now`, in ms; NaN otherwise. */
function stampTime(stamp: unknown, now: number, aheadMs: number): number {
  const time = typeof stamp === "string" && stampShape.test(stamp) ? Date.parse(stamp) : Number.NaN;
  return time > now + aheadMs ? Number.NaN : time;
}

/**
 * The remembered restarts of one entry, each checked; none when the entry is not one, or sits under another
 * key. A stamp more than `aheadMs` ahead of `now` (an edit, a clock gone wrong) is not read: it would never
 * expire. Nor is an unchecked one whose restart time does not read: taken for a checked one, it would hold
 * pods that restart never reached.
 */
function parseEntry(key: string, value: string, now: number, aheadMs = clockSkewMs): RememberedRestart[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (typeof parsed !== "object" || parsed === null) return [];
  const { namespace, kind, name, uid, restarts } = parsed as Record<string, unknown>;
  const named = [namespace, kind, name, uid].every((field) => typeof field === "string" && field !== "");
  if (!named || !Array.isArray(restarts)) return [];
  const controller = { kind: kind as string, name: name as string, uid: uid as string };
  if (key !== entryKey({ namespace: namespace as string, controller })) return [];
  return restarts.flatMap((restart: unknown) => {
    const { restartedFor, at, firstAt, uncheckedRestartAt } = (restart ?? {}) as Record<string, unknown>;
    if (typeof restartedFor !== "string" || restartedFor === "") return [];
    const time = stampTime(at, now, aheadMs);
    if (Number.isNaN(time)) return [];
    // Only for the age a held pod's reason gives: one that does not read is left out, not the restart.
    const first = stampTime(firstAt, now, aheadMs);
    const remembered = {
      namespace: namespace as string,
      controller,
      restartedFor,
      at: time,
      ...(first < time ? { firstAt: first } : {}),
    };
    if (uncheckedRestartAt === undefined) return [remembered];
    const restartTime = stampTime(uncheckedRestartAt, now, aheadMs);
    return Number.isNaN(restartTime) ? [] : [{ ...remembered, uncheckedRestartAt: restartTime }];
  });
}

function expired(remembered: RememberedRestart, now: number): boolean {
  return now - remembered.at > recordKeptForMs;
}

/**
 * Whether a ConfigMap's data holds nothing but this tool's entries: a record `apply` made by hand (it may
 * `create` one where the CronJob's runs may not), which install-cron takes as its installation's own.
 */
export function onlyRecordEntries(data: Readonly<Record<string, string>> | undefined): boolean {
  const keys = Object.keys(data ?? {});
  return keys.length > 0 && keys.every((key) => entryKeyShape.test(key));
}

/** This tool's entries of a ConfigMap's data, by key. */
function entries(data: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(data ?? {}).filter(([key]) => entryKeyShape.test(key));
}

/**
 * The remembered restarts a ConfigMap's data holds at `now`; entries that do not read as one, and those no
 * run has needed for eight days (removed at the next write), are left out.
 */
export function rememberedIn(
  data: Readonly<Record<string, string>> | undefined,
  now: number,
): RememberedRestart[] {
  return entries(data).flatMap(([key, value]) => parseEntry(key, value, now).filter((r) => !expired(r, now)));
}

/** One controller's remembered restarts as stored, one per move (and kind), the newest stamp of each. */
function formatEntry(remembered: readonly RememberedRestart[]): string {
  const latest = mergeRemembered(remembered).sort((a, b) => b.at - a.at);
  const { namespace, controller } = latest[0]!;
  const stored: StoredController = {
    namespace,
    kind: controller.kind,
    name: controller.name,
    uid: controller.uid,
    restarts: latest.map(storedRestart),
  };
  // A tag moving hourly for a week adds a remembered restart each time: past this, the oldest go.
  while (stored.restarts.length > 1 && JSON.stringify(stored).length > maxEntryBytes) stored.restarts.pop();
  return JSON.stringify(stored);
}

function storedRestart(r: RememberedRestart): StoredController["restarts"][number] {
  return {
    restartedFor: r.restartedFor,
    at: new Date(r.at).toISOString(),
    ...(r.firstAt !== undefined ? { firstAt: new Date(r.firstAt).toISOString() } : {}),
    ...(r.uncheckedRestartAt !== undefined
      ? { uncheckedRestartAt: new Date(r.uncheckedRestartAt).toISOString() }
      : {}),
  };
}

/**
 * The merge patch of the ConfigMap's data: each controller this run recorded for, with what it remembers
 * kept and this run's added or stamped again; entries that no longer read, or whose remembered restarts all
 * expired, removed (null). Null when nothing changes.
 */
export function recordChanges(
  data: Readonly<Record<string, string>> | undefined,
  recorded: readonly RememberedRestart[],
  now: number,
  /** What the ConfigMap's binaryData takes, which counts against its size too. */
  binaryBytes = 0,
): Record<string, string | null> | null {
  const changes: Record<string, string | null> = {};
  const stored = new Map(entries(data));
  const recordedByKey = groupBy(recorded, entryKey);
  // Written by a run whose clock is behind another's, a stamp ahead of this one is kept (not read, not
  // removed); only one ahead by more than a remembered restart lasts is taken for a clock gone wrong.
  const parse = (key: string, value: string) => parseEntry(key, value, now, recordKeptForMs);
  for (const [key, value] of stored) {
    if (recordedByKey.has(key)) continue;
    const remembered = parse(key, value);
    const kept = remembered.filter((r) => !expired(r, now));
    if (kept.length === remembered.length && kept.length > 0) continue;
    changes[key] = kept.length > 0 ? formatEntry(kept) : null;
  }
  for (const [key, fresh] of recordedByKey) {
    // A stamp of a move this run recorded, further ahead than another node's clock may be, came from a clock
    // gone ahead: this run's own replaces it, or the newest stamp would be one no run reads.
    const moves = new Set(fresh.map((r) => r.restartedFor));
    const ahead = (r: RememberedRestart) => moves.has(r.restartedFor) && r.at > now + clockSkewMs;
    const kept = parse(key, stored.get(key) ?? "").filter((r) => !expired(r, now) && !ahead(r));
    changes[key] = formatEntry([...kept, ...fresh]);
  }
  if (Object.keys(changes).length === 0) return null;
  const budget = Math.min(recordBudgetBytes, configMapBytes - bytesOf(othersIn(data)) - binaryBytes);
  return smallerFirst(stored, withinBudget(stored, changes, parse, budget));
}

/**
 * How many of this run's remembered restarts the changes leave out of the record: the ConfigMap's other keys
 * left no room for them, and the run says so.
 */
export function leftOutOfRecord(
  data: Readonly<Record<string, string>> | undefined,
  changes: Readonly<Record<string, string | null>>,
  recorded: readonly RememberedRestart[],
  now: number,
): number {
  return recorded.filter((restart) => {
    const key = entryKey(restart);
    const value = key in changes ? changes[key] : data?.[key];
    const kept = value ? parseEntry(key, value, now, recordKeptForMs) : [];
    return !kept.some((r) => r.restartedFor === restart.restartedFor && r.at >= restart.at);
  }).length;
}

/** What an API server lets a ConfigMap's data hold. */
const configMapBytes = 1024 * 1024;

/** The keys that are not this tool's, which count against the ConfigMap's size too. */
function othersIn(data: Readonly<Record<string, string>> | undefined): Map<string, string> {
  return new Map(Object.entries(data ?? {}).filter(([key]) => !entryKeyShape.test(key)));
}

/**
 * The changes in the order they are best written in (they go in parts): removals and entries that shrink
 * first, so that no part takes a record at its limit over it before the parts that make room.
 */
function smallerFirst(
  stored: ReadonlyMap<string, string>,
  changes: Record<string, string | null>,
): Record<string, string | null> {
  const growth = ([key, value]: [string, string | null]) =>
    (value?.length ?? 0) - (stored.get(key)?.length ?? -key.length);
  return Object.fromEntries(Object.entries(changes).sort((a, b) => growth(a) - growth(b)));
}

/**
 * What this tool's entries may take of the ConfigMap: an object may be 1 MiB at most, and a record past that
 * would take no write at all (every run's record lost until its oldest moves expire).
 */
export const recordBudgetBytes = 900 * 1024;

/** What data takes of the API server's limit: its keys and values in UTF-8 (another's may not be ASCII). */
function bytesOf(data: ReadonlyMap<string, string>): number {
  let bytes = 0;
  for (const [key, value] of data) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  return bytes;
}

/**
 * The changes, with the oldest remembered restarts of every entry left out when the record would outgrow
 * `budget`: those are the moves no run has needed for longest (this run's are the newest).
 */
function withinBudget(
  stored: ReadonlyMap<string, string>,
  changes: Record<string, string | null>,
  parse: (key: string, value: string) => RememberedRestart[],
  budget: number,
): Record<string, string | null> {
  const after = new Map(stored);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) after.delete(key);
    else after.set(key, value);
  }
  let bytes = bytesOf(after);
  if (bytes <= budget) return changes;
  const remembered = new Map([...after].map(([key, value]) => [key, parse(key, value)]));
  const oldestFirst = [...remembered]
    .flatMap(([key, all]) => all.map((restart) => ({ key, restart })))
    .sort((a, b) => a.restart.at - b.restart.at);
  // The oldest go one by one, each time its entry written again and measured (one an older version wrote
  // may take other room once written again), until the record fits.
  const current = new Map(after);
  const left = new Map(remembered);
  for (const { key, restart } of oldestFirst) {
    if (bytes <= budget) break;
    const rest = left.get(key)!.filter((r) => r !== restart);
    left.set(key, rest);
    bytes -= Buffer.byteLength(key) + Buffer.byteLength(current.get(key)!);
    if (rest.length === 0) current.delete(key);
    else {
      const value = formatEntry(rest);
      current.set(key, value);
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
  }
  const shrunk: Record<string, string | null> = {};
  for (const key of new Set([...stored.keys(), ...after.keys()])) {
    const value = current.get(key) ?? null;
    if (value !== (stored.get(key) ?? null)) shrunk[key] = value;
  }
  return shrunk;
}

/** `NAMESPACE/NAME`, or null when it is not one. */
export function parseRecordRef(text: string): RecordRef | null {
  const [namespace, name, ...rest] = text.split("/");
  if (rest.length > 0 || namespace === undefined || name === undefined) return null;
  if (!isDnsLabel(namespace) || !isObjectName(name)) return null;
  return { namespace, name };
}
