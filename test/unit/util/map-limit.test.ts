import { describe, expect, it } from "vitest";
import { mapLimit } from "../../../src/util/map-limit.js";

/** A promise settled from outside, to hold a call in flight. */
function held() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("mapLimit", () => {
  it("once a call fails, starts no further item and rejects only after the calls in flight have settled", async () => {
    const slow = held();
    const started: string[] = [];
    const finished: string[] = [];
    let rejected = false;
    const run = mapLimit(["slow", "failing", "next", "last"], 2, async (item) => {
      started.push(item);
      if (item === "failing") throw new Error("cannot reach the cluster");
      if (item === "slow") await slow.promise;
      finished.push(item);
    }).catch((error: unknown) => {
      rejected = true;
      throw error;
    });
    await settle();
    expect(started).toEqual(["slow", "failing"]);
    expect(rejected).toBe(false);
    slow.release();
    await expect(run).rejects.toThrow("cannot reach the cluster");
    expect(finished).toEqual(["slow"]);
    expect(started).toEqual(["slow", "failing"]);
  });
});
