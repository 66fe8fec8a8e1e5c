/** Typed errors; the single catch in main.ts turns them into one line and an exit code. */
import { withoutUserInfo } from "./util/url-secrets.js";

/** Base: a message meant for users, shown on one line. */
export class AutoupdateError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags or values: the user can fix the command line. */
export class UsageError extends AutoupdateError {}

/** An executable we need is not installed or not on PATH. */
export class ToolMissingError extends AutoupdateError {}

/** kubectl or docker exited non-zero or printed something we can't read. */
export class ToolFailedError extends AutoupdateError {}

/** The user declined, or we refused to act without confirmation. */
export class RefusedError extends AutoupdateError {}

/**
 * A scheduled run held back by a suspended Job of its CronJob: a failed run like any other (its report
 * posted, its result kept), not a refusal.
 */
export class HeldBackError extends AutoupdateError {}

/** Some restarts failed (a deletion, an eviction, a rollout); the others were reported. */
export class PartialFailureError extends AutoupdateError {}

/**
 * A signal stopped the run. Exit 1 like any other error: the Plan contract allows only 0, 1 and 2. After a
 * Ctrl-C the process then ends by that SIGINT (bin.ts), as a shell running it needs to see.
 */
export class InterruptedError extends AutoupdateError {}

/** Exit with a code and no message (e.g. `plan --exit-code` found stale pods). */
export class ExitCode extends AutoupdateError {
  override readonly exitCode: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.exitCode = code;
  }
}

/** The errors that ended the restarts before any signal came (see endedBeforeSignal). */
const beforeSignal = new WeakSet<object>();

/**
 * Marks the error the restarts ended with, all in before any signal (the cluster out of reach): a signal
 * that comes while their Events are recorded must not make it read as an interruption.
 */
export function endedBeforeSignal(error: unknown): unknown {
  if (typeof error === "object" && error !== null) beforeSignal.add(error);
  return error;
}

/** `said`, an error saying `error` again in other words, marked as `error` was (endedBeforeSignal). */
export function sayingAgain<E>(error: unknown, said: E): E {
  if (typeof error === "object" && error !== null && beforeSignal.has(error)) endedBeforeSignal(said);
  return said;
}

/**
 * Whether `error` ends the run as interrupted, `signalled` saying whether a signal came: once one has,
 * whatever failed on its way out reads as the interruption it is. Not restarts that failed
 * (PartialFailureError), nor an error marked endedBeforeSignal: apply throws those only for outcomes all in
 * before any signal.
 */
export function endsInterrupted(error: unknown, signalled: boolean): boolean {
  if (error instanceof InterruptedError) return true;
  const settled =
    error instanceof PartialFailureError ||
    (typeof error === "object" && error !== null && beforeSignal.has(error));
  return signalled && !settled;
}

/**
 * The message a failed run ends with on stderr (after `error: `), in its result line and its RunReport: a
 * credential it quotes back (a URL with one, pasted into the wrong flag) is left out.
 */
export function failureMessage(error: unknown, signalled: boolean): string {
  if (endsInterrupted(error, signalled) && !(error instanceof InterruptedError)) return "interrupted";
  return withoutUserInfo(error instanceof Error ? error.message : String(error));
}
