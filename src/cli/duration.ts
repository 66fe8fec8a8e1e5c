/** Durations as kubectl writes them: `30s`, `5m`, `1h30m`, `500ms`; a bare number means seconds. */
import { UsageError } from "../errors.js";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new UsageError(`invalid value "${text}" for ${flag}: want a duration such as 30s, 5m or 1h`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2]!] ?? 0), 0);
}

/** The longest a Node.js timer waits (2^31 - 1 ms, ~24.8 days): asked for longer, it fires at once. */
const longestTimerMs = 2 ** 31 - 1;

/** A duration something waits for with a timer: refused beyond what a timer can hold. */
export function timerDuration(text: string, flag: string): number {
  const ms = parseDuration(text, flag);
  if (ms > longestTimerMs) throw new UsageError(`${flag} must be at most 596h, not ${text}`);
  return ms;
}
