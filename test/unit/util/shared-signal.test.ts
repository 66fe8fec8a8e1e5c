import { setImmediate } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { sharedSignal } from "../../../src/util/shared-signal.js";

/** The warnings the process emits while `listen` adds its listeners. */
async function warningsWhile(listen: () => void): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error) => seen.push(warning.name);
  process.on("warning", onWarning);
  listeners.push(onWarning);
  listen();
  await setImmediate();
  await setImmediate();
  return seen;
}
const listeners: ((warning: Error) => void)[] = [];
afterEach(() => {
  for (const listener of listeners.splice(0)) process.off("warning", listener);
});

const listenTimes = (signal: AbortSignal, times: number) => () => {
  for (let i = 0; i < times; i++) signal.addEventListener("abort", () => {}, { once: true });
};

describe("sharedSignal", () => {
  it("takes any number of listeners without a leak warning", async () => {
    const signal = sharedSignal(new AbortController().signal);
    expect(await warningsWhile(listenTimes(signal, 32))).toEqual([]);
    const combined = sharedSignal(AbortSignal.any([signal]));
    expect(await warningsWhile(listenTimes(combined, 32))).toEqual([]);
  });

  it("where a plain signal warns past 10 listeners", async () => {
    const signal = new AbortController().signal;
    expect(await warningsWhile(listenTimes(signal, 11))).toContain("MaxListenersExceededWarning");
  });
});
