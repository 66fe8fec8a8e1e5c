/**
 * CronJob `spec.schedule` and `spec.timeZone`, checked the way the API server checks them (robfig/cron v3
 * `ParseStandard`, kubernetes pkg/apis/batch/validation), so a bad value is caught before anything is sent.
 * Pure: no clock, no I/O.
 */

import type { Checked } from "../../util/checked.js";
import { zoneNames } from "./zone-names.js";

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  hint: string;
}

const months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The five fields, in order, with robfig/cron's bounds (day-of-week 7 is refused there too). */
const cronFields: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59, hint: "0-59" },
  { name: "hour", min: 0, max: 23, hint: "0-23" },
  { name: "day-of-month", min: 1, max: 31, hint: "1-31" },
  { name: "month", min: 1, max: 12, names: months, hint: "1-12 or jan-dec" },
  { name: "day-of-week", min: 0, max: 6, names: weekdays, hint: "0-6 or sun-sat, 0 is Sunday" },
];

/** The macros Kubernetes documents for CronJobs (robfig/cron descriptors; case-sensitive there too). */
const cronMacros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/**
 * Checks a schedule; the value is the schedule with surrounding and repeated blanks removed.
 * Deliberately stricter than the server in two ways: `@every <duration>` (accepted by robfig/cron but not
 * a documented CronJob schedule) and empty list items such as `1,,2` (silently dropped by robfig/cron).
 */
export function checkSchedule(input: string): Checked<string> {
  const text = input.trim();
  if (text === "") return refuse("the schedule is empty; want 5 fields such as */10 * * * *");
  // The server refuses any "TZ" in a new schedule since Kubernetes 1.29 (kubernetes#116252).
  const tz = /^(CRON_)?TZ=(\S*)/.exec(text);
  if (tz || text.includes("TZ")) {
    const zone = tz?.[2] ? ` ${tz[2]}` : " <IANA name>";
    return refuse(
      `TZ= and CRON_TZ= are not allowed in a CronJob schedule (Kubernetes refuses them since 1.29); ` +
        `put the zone in --time-zone${zone} and leave it out of --schedule`,
    );
  }
  if (text.startsWith("@")) {
    if (cronMacros.includes(text)) return { ok: true, value: text };
    if (/^@every\b/.test(text)) {
      return refuse(
        `"@every" is not a CronJob schedule; write the interval as 5 fields (e.g. "*/15 * * * *") ` +
          `or use one of ${cronMacros.join(", ")}`,
      );
    }
    return refuse(`unknown macro "${text}"; Kubernetes accepts ${cronMacros.join(", ")}`);
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    const seconds = fields.length === 6 ? " (a seconds field is not supported)" : "";
    return refuse(
      `want 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}${seconds}`,
    );
  }
  for (const [i, field] of fields.entries()) {
    const spec = cronFields[i]!;
    const problem = checkField(field, spec);
    if (problem) return refuse(`${spec.name} field "${field}": ${problem} (${spec.name} is ${spec.hint})`);
  }
  const never = neverComes(fields);
  if (never) return refuse(never);
  return { ok: true, value: fields.join(" ") };
}

/** The most days each month has (February's 29 come in a leap year). */
const daysIn = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Why checked fields never come, or null: with any day of the week, the day of the month decides
 * (robfig/cron), and 30 February never comes. The server takes such a schedule, and its CronJob never runs.
 */
function neverComes(fields: readonly string[]): string | null {
  const [, , dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (!isAnyDay(dayOfWeek) || isAnyDay(dayOfMonth)) return null;
  const days = valuesOf(dayOfMonth, cronFields[2]!);
  const inMonths = valuesOf(month, cronFields[3]!);
  if ([...inMonths].some((m) => [...days].some((day) => day <= daysIn[m - 1]!))) return null;
  return `day-of-month "${dayOfMonth}" never comes in month "${month}": the CronJob would never run`;
}

/** Whether robfig/cron reads a day field as any day: an item `*` or `?` with no step or a step of 1. */
function isAnyDay(field: string): boolean {
  return field.split(",").some((item) => {
    const [range, step] = item.split("/");
    return (range === "*" || range === "?") && (step === undefined || Number(step) === 1);
  });
}

/** The values a field checkField took names. */
function valuesOf(field: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of field.split(",")) {
    const [range, stepText] = item.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    const bounds = range === "*" || range === "?" ? [] : range.split("-");
    const start = bounds.length === 0 ? spec.min : (value(bounds[0]!, item, spec) as number);
    const end =
      bounds.length === 0
        ? spec.max
        : bounds.length === 2
          ? (value(bounds[1]!, item, spec) as number)
          : stepText !== undefined
            ? spec.max
            : start;
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

/** list = item {"," item}; item = ("*" | "?" | value ["-" value]) ["/" step] */
function checkField(field: string, spec: FieldSpec): string | null {
  for (const item of field.split(",")) {
    if (item === "") return "empty item in the list";
    const parts = item.split("/");
    if (parts.length > 2) return `too many "/" in "${item}"`;
    const [range, stepText] = parts as [string, string | undefined];
    if (stepText !== undefined) {
      const step = number(stepText);
      if (step === null) return `step "${stepText}" is not a number`;
      if (step === 0) return "a step must be at least 1";
      // Go's int: robfig/cron refuses a larger step ("value out of range").
      if (BigInt(stepText) > maxInt64) return `step "${stepText}" is out of range`;
    }
    if (range === "*" || range === "?") continue;
    if (range.startsWith("-")) return `"${item}": negative numbers are not allowed`;
    const bounds = range.split("-");
    if (bounds.length > 2) return `too many "-" in "${item}"`;
    const start = value(bounds[0]!, item, spec);
    if (typeof start === "string") return start;
    // "N/step" means N to the maximum, every step (robfig/cron).
    const end =
      bounds.length === 2 ? value(bounds[1]!, item, spec) : stepText !== undefined ? spec.max : start;
    if (typeof end === "string") return end;
    if (start < spec.min) return `${start} is below the minimum ${spec.min}`;
    if (start > spec.max) return `${start} is above the maximum ${spec.max}`;
    if (end > spec.max) return `${end} is above the maximum ${spec.max}`;
    if (start > end) return `the range ${range} runs backwards`;
  }
  return null;
}

function value(text: string, item: string, spec: FieldSpec): number | string {
  if (text === "") return `"${item}" is missing a number`;
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index >= 0) return spec.name === "month" ? index + 1 : index;
  const n = number(text);
  if (n !== null) return n;
  return spec.names
    ? `"${text}" is neither a number nor a ${spec.name === "month" ? "month" : "day"} name`
    : `"${text}" is not a number`;
}

const maxInt64 = 2n ** 63n - 1n;

/** Whole decimal numbers as Go's strconv.Atoi reads them (a leading + is allowed). */
function number(text: string): number | null {
  return /^\+?\d+$/.test(text) ? Number(text) : null;
}

/** https://data.iana.org/time-zones/theory.html#naming, as kubernetes' validTimeZoneCharacters. */
const zonePart = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** Names ICU still knows, as themselves, that tzdata dropped (2020b): the server refuses them. */
const droppedFromTzdata = /^SystemV\//;

/**
 * Checks an IANA time zone name for `spec.timeZone` as the API server's Go does (time.LoadLocation): its
 * naming rules, then the name itself, case and all: tzdata's names are known here; one newer than them
 * where this runtime's time zone database knows it by that very name (the server's has the last word).
 */
export function checkTimeZone(input: string): Checked<string> {
  if (input === "") return refuse("the time zone is empty; leave --time-zone out for the cluster's default");
  if (input.toLowerCase() === "local") {
    return refuse(`"${input}" is not allowed; name an IANA time zone such as Europe/Berlin or UTC`);
  }
  for (const part of input.split("/")) {
    // A leading sign is a UTC offset (newer V8 accepts "+01" as a zone; the server's Go does not).
    if (part === "." || part === ".." || /^[-+]/.test(part) || !zonePart.test(part)) {
      return refuse(`"${input}" is not an IANA time zone name (such as Europe/Berlin or UTC)`);
    }
  }
  if (zoneNames.has(input)) return { ok: true, value: input };
  const lower = input.toLowerCase();
  const listed = [...zoneNames].find((name) => name.toLowerCase() === lower);
  // ICU knows more than tzdata: Java's three-letter IDs (PST, IST, BST…), and names tzdata has dropped.
  const known = listed ?? runtimeName(input);
  const newer = !listed && known?.includes("/") && !droppedFromTzdata.test(known);
  if (newer && known === input) return { ok: true, value: input };
  if ((listed || newer) && known?.toLowerCase() === lower) {
    return refuse(`unknown time zone "${input}"; did you mean "${known}"? (names are case-sensitive)`);
  }
  return refuse(`unknown time zone "${input}"; want an IANA name such as Europe/Berlin or UTC`);
}

/** The name this runtime's time zone database gives the zone (an alias's is another zone's), if it knows it. */
function runtimeName(input: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: input }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function refuse(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
