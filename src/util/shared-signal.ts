import { setMaxListeners } from "node:events";

/**
 * A signal every wait, request and child process in flight listens to: with --concurrency above a few,
 * more than Node's default of 10 at once, where Node would print a leak warning on the user's stderr.
 */
export function sharedSignal<T extends AbortSignal>(signal: T): T {
  setMaxListeners(Number.POSITIVE_INFINITY, signal);
  return signal;
}
