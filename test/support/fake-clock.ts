/**
 * A clock for unit tests of waits: time moves only when every pending piece of work is asleep, and then
 * straight to the earliest wake-up — so parallel waits overlap as they would in real time, in milliseconds.
 */
import type { Clock } from "../../src/util/clock.js";

interface Timer {
  at: number;
  wake: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private timers: Timer[] = [];
  private scheduled: { at: number; run: () => void }[] = [];

  constructor(start = Date.parse("2026-11-30T12:00:00Z")) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Milliseconds since the clock was made, for readable assertions. */
  elapsed(since = Date.parse("2026-11-30T12:00:00Z")): number {
    return this.time - since;
  }

  /** Lets `ms` pass, with whatever is due meanwhile (a controller reacting, a pod becoming Ready). */
  advance(ms: number): Promise<void> {
    return this.run(this.sleep(ms, new AbortController().signal));
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      // Removed when the timer fires, as systemClock does: a wait's signal outlives many sleeps.
      const aborted = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      const timer: Timer = {
        at: this.time + ms,
        wake: () => {
          signal.removeEventListener("abort", aborted);
          resolve();
        },
      };
      this.timers.push(timer);
      signal.addEventListener("abort", aborted, { once: true });
    });
  }

  /** Runs `run` when the clock reaches `at` (e.g. a replacement pod becoming Ready). */
  at(at: number, run: () => void): void {
    this.scheduled.push({ at, run });
  }

  /** Runs `work` to its end, moving time forward whenever it only waits. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const result = work.finally(() => {
      settled = true;
    });
    // Returned below; until then a rejection must not count as unhandled.
    result.catch(() => {});
    for (;;) {
      await idle();
      if (settled) return result;
      const next = Math.min(...this.timers.map((t) => t.at), ...this.scheduled.map((s) => s.at));
      if (!Number.isFinite(next)) return result; // nothing to wake: the work waits on something else
      this.time = Math.max(this.time, next);
      for (const event of this.scheduled.filter((s) => s.at <= this.time)) event.run();
      this.scheduled = this.scheduled.filter((s) => s.at > this.time);
      const due = this.timers.filter((t) => t.at <= this.time);
      this.timers = this.timers.filter((t) => t.at > this.time);
      for (const timer of due) timer.wake();
    }
  }
}

/** Lets every promise chain that can move on do so. */
async function idle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The cluster's clock for an in-memory cluster, `skewMs` behind `clock`, the one apply reads. */
export function serverClock(clock: FakeClock, skewMs: number): FakeClock {
  return {
    now: () => clock.now() - skewMs,
    at: (at: number, run: () => void) => clock.at(at + skewMs, run),
    elapsed: () => clock.elapsed(),
    sleep: (ms: number, signal: AbortSignal) => clock.sleep(ms, signal),
  } as unknown as FakeClock;
}
