/**
 * When and how long to wait before asking a registry again. Pure: the caller supplies the attempt, a random
 * number and the clock, so the policy is tested without sleeping.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** The first backoff; it doubles with each retry. */
  baseDelayMs: number;
  /** Backoff never exceeds this. */
  maxDelayMs: number;
  /**
   * A Retry-After longer than this is not waited for: the answer stands (e.g. Docker Hub's 429 for hours).
   */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/**
 * Statuses worth asking again: timeouts, rate limits and server trouble, a CDN's in front of a registry too
 * (520–524), but not what no retry changes (501 Not Implemented, 505 HTTP Version Not Supported).
 */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

/** The longest Retry-After kept: a year is as good as forever here. */
const maxRetryAfterMs = 365 * 24 * 3600 * 1000;

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  // Sent twice (a proxy adding its own), it reads as a list: the first counts, as Node's own parser keeps it.
  const trimmed = /^\s*\d+\s*,/.test(value)
    ? value.slice(0, value.indexOf(",")).trim()
    : firstDate(value.trim());
  // A Date cannot hold every number a server may send.
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, maxRetryAfterMs);
  const date = httpDate(trimmed, nowMs);
  return date === null ? null : Math.max(0, date - nowMs);
}

/** The first of IMF-fixdates sent as a list (`Sun, 06 Nov 1994 08:49:37 GMT, Sun, …`): 29 characters. */
function firstDate(value: string): string {
  return /^.{29},/.test(value) ? value.slice(0, 29) : value;
}

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The three forms of an HTTP date RFC 9110 has recipients read, every one in GMT. */
const httpDateForms = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  /^[A-Z][a-z]{2}, (?<day>\d\d) (?<month>[A-Z][a-z]{2}) (?<year>\d{4}) (?<time>\d\d:\d\d:\d\d) GMT$/,
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  /^[A-Z][a-z]+, (?<day>\d\d)-(?<month>[A-Z][a-z]{2})-(?<year>\d\d) (?<time>\d\d:\d\d:\d\d) GMT$/,
  // asctime: Sun Nov  6 08:49:37 1994
  /^[A-Z][a-z]{2} (?<month>[A-Z][a-z]{2}) (?<day>[ \d]\d) (?<time>\d\d:\d\d:\d\d) (?<year>\d{4})$/,
];

/** An HTTP date, read in GMT (Date.parse reads asctime in the local time zone); null for anything else. */
function httpDate(text: string, nowMs: number): number | null {
  const date = httpDateForms.map((form) => form.exec(text)?.groups).find((groups) => groups !== undefined);
  const month = months.indexOf(date?.["month"] ?? "");
  if (!date || month === -1) return null;
  let year = Number(date["year"]);
  if (year < 100) {
    // RFC 850's two digits: this century's year, or the last one's when that is over 50 years ahead.
    const now = new Date(nowMs).getUTCFullYear();
    year += 100 * Math.floor(now / 100);
    if (year > now + 50) year -= 100;
  }
  const [hour, minute, second] = date["time"]!.split(":").map(Number) as [number, number, number];
  return Date.UTC(year, month, Number(date["day"]), hour, minute, second);
}

/**
 * The wait before retry number `retry` (0 for the first retry), or null when it should not be retried:
 * no retries left, or a Retry-After beyond the cap. Exponential backoff with equal jitter (half fixed, half
 * random), never shorter than the server's Retry-After.
 */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  random: number,
  retryAfterMs: number | null = null,
): number | null {
  if (retry >= policy.retries) return null;
  if (retryAfterMs !== null && retryAfterMs > policy.maxRetryAfterMs) return null;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = backoff / 2 + (backoff / 2) * Math.min(1, Math.max(0, random));
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/** Requests that may fail on the network (after their retries) before a host that answered is given up on. */
const failuresBeforeGivingUp = 3;

/**
 * Whether a host is not worth asking again in this run after a request to it failed on the network: at once
 * when the failure is permanent (TLS, name resolution) or the host never answered; a host that has answered
 * is only slow or flaky, and is given up on after a few such failures (`failures` counts this one).
 */
export function givesUpOnHost(failure: {
  permanent: boolean;
  answeredBefore: boolean;
  failures: number;
}): boolean {
  return failure.permanent || !failure.answeredBefore || failure.failures >= failuresBeforeGivingUp;
}
