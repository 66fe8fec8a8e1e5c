/**
 * How old a new image is, by the `created` time its config states — and whether that time can be trusted.
 * A missing time, one in the future, or a reproducible build's fixed time (1970, Buildpacks' 1980) says
 * nothing about when the image was pushed. Pure: `now` is passed in.
 */
import { exactDuration } from "../util/age.js";
import type { ImageDescription } from "./resolution.js";

/** Build times this far ahead of our clock are clock skew, not the future. */
const skewMs = 5 * 60_000;
/** Reproducible builds pin their time to the epoch (or a second after it); no real push is that old. */
const reproducibleBefore = Date.parse("1971-01-01T00:00:00Z");
/** Cloud Native Buildpacks (pack, kpack, Spring Boot's build-image) give every image this time. */
const buildpacksTime = Date.parse("1980-01-01T00:00:01Z");

/**
 * The time a config's `created` states, NaN unless written in RFC 3339's form, which Go's JSON decoding
 * (the runtimes') reads, a comma before the fraction too. Date.parse alone takes more: a time with no zone
 * is the machine's local time, and Feb 30 or 24:00 roll over into the next day where Go refuses them.
 */
function createdAt(created: string): number {
  const parts = rfc3339.exec(created);
  if (!parts) return Number.NaN;
  const [year, month, day, hour] = parts.slice(1, 5).map(Number) as [number, number, number, number];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > lastDay || hour > 23) return Number.NaN;
  return Date.parse(created.replace(",", "."));
}
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A time a reproducible build writes whenever it is built. */
function isFixedTime(at: number): boolean {
  return at < reproducibleBefore || at === buildpacksTime;
}

export type BuildTime = { ok: true; at: number } | { ok: false; problem: string };

/** The build time a config states, or why it cannot be trusted. */
export function buildTime(created: string | null, now: number): BuildTime {
  if (created === null) return { ok: false, problem: "the new image states no build time (created)" };
  const at = createdAt(created);
  if (Number.isNaN(at))
    return { ok: false, problem: `the new image's build time "${created}" is unreadable` };
  if (isFixedTime(at)) {
    return {
      ok: false,
      problem: `the new image's build time is a reproducible build's fixed time (${created})`,
    };
  }
  if (at > now + skewMs)
    return { ok: false, problem: `the new image's build time is in the future (${created})` };
  return { ok: true, at };
}

/**
 * Null when a new image may be acted on under --min-age; else why not yet. An untrusted build time holds
 * the restart back too: --min-age promises "not before it is this old", which an unknown age cannot keep.
 */
export function tooNewFor(created: string | null | undefined, minAgeMs: number, now: number): string | null {
  // Both exact to the flag's own precision, or an age rounded down could read as old enough.
  const unit = minAgeMs % 1000 === 0 ? 1000 : 1;
  const flag = `--min-age ${exactDuration(minAgeMs, unit)}`;
  if (created === undefined) return `the new image's build time could not be read: ${flag} cannot be checked`;
  const time = buildTime(created, now);
  if (!time.ok) return `${time.problem}: ${flag} cannot be checked`;
  const age = now - time.at;
  return age < minAgeMs ? `new image is ${exactDuration(age, unit)} old, ${flag}` : null;
}

/**
 * Of several images the stale pods may get (a multi-arch tag rebuilt for several platforms, the nodes' not
 * known), the one --min-age must judge: one whose build time cannot be trusted or read, else the youngest.
 */
export function youngestImage<T extends { description: ImageDescription }>(
  images: readonly T[],
): T | undefined {
  const at = ({ description }: T) => {
    if (!description.ok || description.created === null) return Number.POSITIVE_INFINITY;
    const time = createdAt(description.created);
    return Number.isNaN(time) || isFixedTime(time) ? Number.POSITIVE_INFINITY : time;
  };
  return images.reduce<T | undefined>(
    (young, image) => (young && at(young) >= at(image) ? young : image),
    undefined,
  );
}
