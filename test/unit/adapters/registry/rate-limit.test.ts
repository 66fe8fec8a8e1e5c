import { describe, expect, it } from "vitest";
import {
  mergeRateLimit,
  parseRateLimit,
  rateLimitNote,
} from "../../../../src/adapters/registry/rate-limit.js";

describe("Docker Hub rate limit", () => {
  it("parses the headers and keeps the lowest remaining count", () => {
    expect(parseRateLimit("100;w=21600")).toEqual({ count: 100, windowSeconds: 21600 });
    expect(parseRateLimit("76")).toEqual({ count: 76, windowSeconds: null });
    expect(parseRateLimit("x")).toBeNull();
    const first = mergeRateLimit(undefined, parseRateLimit("100;w=21600"), parseRateLimit("76;w=21600"));
    const later = mergeRateLimit(first, null, parseRateLimit("80;w=21600"));
    expect(later?.remaining.count).toBe(76);
    const lower = mergeRateLimit(later, null, parseRateLimit("75;w=21600"));
    expect(rateLimitNote("registry-1.docker.io", lower!)).toBe(
      "registry-1.docker.io: 75 of 100 pulls left (per 6h); HEAD requests do not count",
    );
    expect(mergeRateLimit(undefined, null, null)).toBeUndefined();
  });
});
