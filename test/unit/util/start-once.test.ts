import { describe, expect, it } from "vitest";
import { StartOnce } from "../../../src/util/start-once.js";

describe("StartOnce", () => {
  it("starts the work on the first start() only, and gives the same promise every time", async () => {
    let runs = 0;
    const once = new StartOnce(async () => ++runs);
    expect(once.started).toBe(false);
    const first = once.start();
    expect(once.started).toBe(true);
    expect(once.start()).toBe(first);
    expect(await first).toBe(1);
    expect(runs).toBe(1);
  });

  it("keeps a failure for whoever awaits it, without an unhandled rejection before then", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const once = new StartOnce(async () => {
        throw new Error("refused");
      });
      once.start();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
      await expect(once.start()).rejects.toThrow("refused");
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
