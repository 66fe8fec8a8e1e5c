import { describe, expect, it } from "vitest";
import {
  givesUpOnHost,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
} from "../../../../src/adapters/registry/retry-policy.js";

describe("retry policy", () => {
  const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

  it("retries timeouts, rate limits and server errors, a CDN's too; not what no retry changes", () => {
    expect([408, 429, 500, 502, 503, 504, 520, 522, 524, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 401, 403, 404, 405, 501, 505].some(isRetryableStatus)).toBe(false);
  });

  it("backs off exponentially with jitter, capped, and stops after the last retry", () => {
    expect(retryDelay(policy, 0, 0)).toBe(50);
    expect(retryDelay(policy, 0, 1)).toBe(100);
    expect(retryDelay(policy, 1, 0.5)).toBe(150);
    expect(retryDelay(policy, 2, 1)).toBe(400);
    expect(retryDelay({ ...policy, retries: 9 }, 8, 1)).toBe(1000);
    expect(retryDelay(policy, 3, 0.5)).toBeNull();
  });

  it("waits at least Retry-After, and not at all when it is beyond the cap", () => {
    expect(retryDelay(policy, 0, 0, 2000)).toBe(2000);
    expect(retryDelay(policy, 0, 0, 6000)).toBeNull();
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(
      parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")),
    ).toBe(5000);
    expect(parseRetryAfter("soon", 0)).toBeNull();
    // More than a Date can hold: as good as forever, and still a time.
    const forever = parseRetryAfter("99999999999999", Date.now())!;
    expect(new Date(Date.now() + forever).toISOString()).toMatch(/^\d{4}-/);
    expect(parseRetryAfter(null, 0)).toBeNull();
  });

  it("sent twice (joined as a list), the first counts", () => {
    expect(parseRetryAfter("120, 120", 0)).toBe(120_000);
    expect(parseRetryAfter("3,60", 0)).toBe(3000);
    const date = "Wed, 21 Oct 2015 07:28:05 GMT";
    expect(parseRetryAfter(`${date}, ${date}`, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(5000);
  });
});

describe("Retry-After as an HTTP date", () => {
  it("reads each of RFC 9110's three forms in GMT, whatever the machine's time zone; nothing else", () => {
    const was = process.env["TZ"];
    // West of Greenwich, Date.parse reads asctime as local time: hours late.
    process.env["TZ"] = "America/New_York";
    try {
      const now = Date.parse("2026-11-06T08:49:30Z");
      expect(parseRetryAfter("Fri, 06 Nov 2026 08:49:37 GMT", now)).toBe(7000);
      expect(parseRetryAfter("Friday, 06-Nov-26 08:49:37 GMT", now)).toBe(7000);
      expect(parseRetryAfter("Fri Nov  6 08:49:37 2026", now)).toBe(7000);
      // Not a date, nor a number of whole seconds: as if absent.
      for (const odd of ["1.5", "2026-11-06T08:49:37Z", "Fri, 06 Nov 2026 08:49:37 PST"]) {
        expect(parseRetryAfter(odd, now), odd).toBeNull();
      }
    } finally {
      if (was === undefined) delete process.env["TZ"];
      else process.env["TZ"] = was;
    }
  });
});

describe("giving up on a registry host", () => {
  it("at once when the failure is permanent or the host never answered; after three failures otherwise", () => {
    expect(givesUpOnHost({ permanent: true, answeredBefore: true, failures: 1 })).toBe(true);
    expect(givesUpOnHost({ permanent: false, answeredBefore: false, failures: 1 })).toBe(true);
    expect(givesUpOnHost({ permanent: false, answeredBefore: true, failures: 1 })).toBe(false);
    expect(givesUpOnHost({ permanent: false, answeredBefore: true, failures: 2 })).toBe(false);
    expect(givesUpOnHost({ permanent: false, answeredBefore: true, failures: 3 })).toBe(true);
  });
});
