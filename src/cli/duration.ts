/**
 * Durations as kubectl reads them (Go's time.ParseDuration): `30s`, `5m`, `1h30m`, `500ms`, `.5s`, `+250us`;
 * a bare whole number means seconds, as kubectl's --request-timeout takes it. In milliseconds, possibly
 * fractional.
 */
import { UsageError } from "../errors.js";

const msPerUnit: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** One number and its unit; Go takes `1.` and `.5`, not `.` alone. Longer units first: `ms` before `m`. */
const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/gy;

export function parseDuration(given: string, flag: string): number {
  // Go takes a sign; a negative duration means nothing for any of these flags.
  const text = given.startsWith("+") ? given.slice(1) : given;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  part.lastIndex = 0;
  let ms = 0;
  let end = 0;
  for (let m = part.exec(text); m !== null; m = part.exec(text)) {
    ms += Number(m[1]) * msPerUnit[m[2]!]!;
    end = part.lastIndex;
  }
  if (end === 0 || end !== text.length) {
    // A URL given here by mistake (the webhook's, beside --webhook-timeout, its scheme perhaps left off) may
    // carry a token: a value no duration resembles is not quoted.
    const shown = /[/:@]/.test(given) || given.length > 32 ? "" : `"${given}" `;
    const hidden = shown === "" ? " (not shown: it may be a URL)" : "";
    throw new UsageError(`invalid value ${shown}for ${flag}${hidden}: want a duration such as 30s, 5m or 1h`);
  }
  // Go counts whole nanoseconds: 1.1s is 1100 ms, not 1100.0000000000002.
  return Math.round(ms * 1e6) / 1e6;
}

/** The longest a Node.js timer waits (2^31 - 1 ms, ~24.8 days): asked for longer, it fires at once. */
const longestTimerMs = 2 ** 31 - 1;

/**
 * A duration something waits for with a timer, in whole milliseconds (a fraction rounds up:
 * AbortSignal.timeout takes none): refused beyond what a timer can hold.
 */
export function timerDuration(text: string, flag: string): number {
  const ms = parseDuration(text, flag);
  if (ms > longestTimerMs) throw new UsageError(`${flag} must be at most 596h, not ${text}`);
  return Math.ceil(ms);
}
