import { describe, expect, it } from "vitest";
import { buildTime, tooNewFor, youngestImage } from "../../../src/core/image-age.js";

const now = Date.parse("2026-11-30T12:00:00Z");
const minutes = (n: number) => n * 60_000;
const hours = (n: number) => minutes(n * 60);

describe("a new image's build time", () => {
  it("is trusted when it is a real time in the past (or within clock skew)", () => {
    expect(buildTime("2026-11-30T11:48:00Z", now)).toEqual({ ok: true, at: now - minutes(12) });
    expect(buildTime("2026-11-30T12:03:00Z", now)).toMatchObject({ ok: true });
    // RFC 3339 with an offset and nanoseconds, as Go writes it.
    expect(buildTime("2026-11-30T13:48:00.123456789+02:00", now)).toEqual({
      ok: true,
      at: now - minutes(12) + 123,
    });
    // Go's decoding takes a comma before the fraction as well.
    expect(buildTime("2026-11-30T11:48:00,5Z", now)).toEqual({ ok: true, at: now - minutes(12) + 500 });
    expect(buildTime("2024-02-29T23:00:00Z", now)).toEqual({ ok: true, at: Date.UTC(2024, 1, 29, 23) });
  });

  // Date.parse takes these, Go's decoding (the runtimes') does not; the first would be the local time.
  it.each([
    "2026-11-30T11:00:00",
    "2026-11-30",
    "2",
    "2026-11-30t11:00:00z",
    "Mon, 30 Nov 2026 11:00:00 GMT",
    // Date.parse rolls these over into the next day.
    "2026-02-30T11:00:00Z",
    "2026-11-31T11:00:00Z",
    "2026-11-29T24:00:00Z",
  ])("is unreadable unless RFC 3339: %s", (created) => {
    expect(buildTime(created, now)).toEqual({
      ok: false,
      problem: `the new image's build time "${created}" is unreadable`,
    });
  });

  it.each([
    [null, "states no build time (created)"],
    ["yesterday", 'build time "yesterday" is unreadable'],
    ["1970-01-01T00:00:00Z", "a reproducible build's fixed time (1970-01-01T00:00:00Z)"],
    ["1970-01-01T00:00:01Z", "a reproducible build's fixed time"],
    // Cloud Native Buildpacks' time for every image they build.
    ["1980-01-01T00:00:01Z", "a reproducible build's fixed time (1980-01-01T00:00:01Z)"],
    ["2026-11-30T12:30:00Z", "is in the future (2026-11-30T12:30:00Z)"],
  ])("is not trusted: %s", (created, problem) => {
    const time = buildTime(created, now);
    expect(time.ok).toBe(false);
    expect(time.ok ? "" : time.problem).toContain(problem);
  });
});

describe("--min-age", () => {
  it("holds back a new image younger than the minimum, and lets it through once old enough", () => {
    expect(tooNewFor("2026-11-30T11:57:00Z", minutes(10), now)).toBe("new image is 3m old, --min-age 10m");
    expect(tooNewFor("2026-11-30T11:51:00Z", minutes(10), now)).toBe("new image is 9m old, --min-age 10m");
    expect(tooNewFor("2026-11-30T11:50:00Z", minutes(10), now)).toBeNull();
    expect(tooNewFor("2026-11-29T12:00:00Z", minutes(10), now)).toBeNull();
  });

  it("says both durations to the flag's precision: an age just short of it never reads as old enough", () => {
    const ago = (ms: number) => new Date(now - ms).toISOString();
    expect(tooNewFor(ago(130_000), 150_000, now)).toBe("new image is 2m10s old, --min-age 2m30s");
    expect(tooNewFor(ago(hours(10) + minutes(10)), hours(10) + minutes(30), now)).toBe(
      "new image is 10h10m old, --min-age 10h30m",
    );
    expect(tooNewFor(ago(100), 500, now)).toBe("new image is 100ms old, --min-age 500ms");
  });

  it("an untrusted or unread build time holds the restart back too, saying why", () => {
    expect(tooNewFor("1970-01-01T00:00:00Z", minutes(10), now)).toBe(
      "the new image's build time is a reproducible build's fixed time (1970-01-01T00:00:00Z): --min-age 10m cannot be checked",
    );
    expect(tooNewFor(null, minutes(10), now)).toContain(
      "states no build time (created): --min-age 10m cannot be checked",
    );
    expect(tooNewFor(undefined, minutes(10), now)).toBe(
      "the new image's build time could not be read: --min-age 10m cannot be checked",
    );
  });
});

describe("youngestImage", () => {
  const image = (digest: string, created: string | null) => ({
    digest,
    description: { ok: true as const, created, labels: {} },
  });
  it("picks the youngest, or one whose build time cannot be trusted or read", () => {
    const old = image("a", "2026-10-01T00:00:00Z");
    const young = image("b", "2026-11-19T00:00:00Z");
    expect(youngestImage([old, young])?.digest).toBe("b");
    expect(youngestImage([young, old])?.digest).toBe("b");
    expect(youngestImage([young, image("c", null)])?.digest).toBe("c");
    expect(youngestImage([young, image("d", "1970-01-01T00:00:00Z")])?.digest).toBe("d");
    expect(youngestImage([young, image("f", "1980-01-01T00:00:01Z")])?.digest).toBe("f");
    // Older, but written without a zone: its time is not known.
    expect(youngestImage([young, image("g", "2026-10-01T00:00:00")])?.digest).toBe("g");
    const failed = { digest: "e", description: { ok: false as const, reason: "429" } };
    expect(youngestImage([young, failed])?.digest).toBe("e");
    expect(youngestImage([])).toBeUndefined();
  });
});
