/** The one way this tool runs other programs. Never put a secret in `args`: argv is visible to every user. */
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { execa } from "execa";
import { ToolMissingError } from "../errors.js";
import { shownValue } from "../util/shown-value.js";
import type { ExecResult } from "./exec-result.js";

export interface ExecOptions {
  /** Written to the child's stdin (the way secrets reach credential helpers). */
  input?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Receives stdout as it arrives instead of buffering it (for lists too big to hold as one string). Each
   * chunk is handed over: nothing else reads it, so the receiver may change it.
   */
  onStdout?: (chunk: Buffer | string) => void;
  /** Also sees stderr as it arrives; stderr is still buffered for the result. */
  onStderr?: (chunk: Buffer | string) => void;
  /**
   * Runs it in a process group of its own even with no `signal` or `timeoutMs`: a server that runs until
   * stopped (kubectl proxy) must not outlive the run, not even behind a wrapper script that runs kubectl as
   * its child. POSIX only.
   */
  ownGroup?: boolean;
}

/** Runs a program; resolves whatever its exit code, rejects only when it cannot be started. */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** How to tell users to get a missing program. */
export interface ToolHint {
  /** The flag or variable that names it, e.g. `--kubectl or KUBECTL`. */
  override: string;
  /** A way to do without it, e.g. `use --resolver registry, which needs no Docker`. */
  instead?: string;
}

/**
 * Secrets this tool reads from its own environment that no child needs (kubectl's credential plugins,
 * docker's helpers): withheld.
 */
const withheldFromChildren = { KUBECTL_AUTOUPDATE_WEBHOOK_URL: undefined };

/** Exec over execa, with a hint for each known program when it is missing. */
export function createExec(hints: Record<string, ToolHint> = {}, log?: (line: string) => void): Exec {
  return async (file, args, options = {}) => {
    log?.(`exec: ${file} ${args.join(" ")}`);
    // Without a terminal (a CronJob, CI) a call this tool may stop (a timeout, a signal) runs in a group of
    // its own, stopped whole: what the program started (kubectl's credential plugin, holding its stderr)
    // would otherwise keep the call waiting past its timeout, and keep running after it. With one, children
    // stay in its session: Ctrl-C reaches them and theirs, and a credential plugin may prompt on it.
    const stoppable = options.signal !== undefined || options.timeoutMs !== undefined;
    const ownGroup =
      process.platform !== "win32" && (options.ownGroup === true || (stoppable && !hasTerminal()));
    const subprocess = execa(file, args, {
      buffer: { stdout: options.onStdout === undefined },
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 1024 * 1024 * 1024,
      input: options.input ?? "",
      env: { ...withheldFromChildren, ...options.env },
      extendEnv: true,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      forceKillAfterDelay: 2000,
      // execa's exit cleanup (signal-exit) can re-raise SIGINT and kill us before apply reports;
      // children are stopped through cancelSignal instead, which main aborts on SIGINT/SIGTERM.
      cleanup: false,
      detached: ownGroup,
    });
    if (options.onStdout) subprocess.stdout?.on("data", options.onStdout);
    if (options.onStderr) subprocess.stderr?.on("data", options.onStderr);
    // Whether the program ended before its timeout or signal came: then what it printed is its whole answer,
    // though the stop came while something it started still held its pipes.
    const startedAt = performance.now();
    let endedFirst = false;
    subprocess.once("exit", () => {
      endedFirst =
        options.signal?.aborted !== true &&
        (options.timeoutMs === undefined || performance.now() - startedAt < options.timeoutMs);
    });
    const stopGroup = ownGroup
      ? groupStopper(subprocess, options.signal, options.ownGroup === true)
      : stoppedAtExit(subprocess);
    const result = await subprocess;
    stopGroup();
    // Not started at all (an errno from spawn, no exit code): not found, not executable, or another
    // (ENOTDIR: a file where a directory of the path should be; ELOOP; EMFILE).
    const notStarted =
      result.exitCode === undefined && result.signal === undefined && /^E[A-Z]+$/.test(result.code ?? "");
    if (notStarted) {
      const hint = hints[file] ?? Object.entries(hints).find(([name]) => file.endsWith(`/${name}`))?.[1];
      const fix = !hint
        ? ""
        : hint.instead
          ? `; install it, point ${hint.override} at it, or ${hint.instead}`
          : `; install it or point ${hint.override} at it`;
      const problem =
        result.code === "ENOENT"
          ? "not found"
          : result.code === "EACCES"
            ? "not executable"
            : `cannot be run (${result.code})`;
      // A URL given to --kubectl by mistake would show its token.
      const named = shownValue(file, "the program");
      throw new ToolMissingError(`${named}: ${problem}${fix}`);
    }
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout ?? ""),
      stderr: String(result.stderr ?? ""),
      interrupted: result.isTerminated === true || (!endedFirst && (result.timedOut || result.isCanceled)),
      ...(result.signal ? { killedBy: result.signal } : {}),
      ...(result.isTerminated && !result.timedOut && !result.isCanceled ? { killedFromOutside: true } : {}),
    };
  };
}

let terminal: boolean | undefined;

/** Whether this process has a controlling terminal, asked once. */
function hasTerminal(): boolean {
  if (terminal === undefined) {
    try {
      closeSync(openSync("/dev/tty", "r"));
      terminal = true;
    } catch {
      terminal = false;
    }
  }
  return terminal;
}

/** The process groups running now (their leaders' pids), stopped when this process exits. */
const runningGroups = new Set<number>();
/**
 * The calls running now in this process's own group: stopped when it exits too, ended before they were
 * (an error, a second signal, a quit): a deletion must not go on unreported after the run, nor a pull.
 */
const runningChildren = new Set<ChildProcess>();

/**
 * Keeps `child` to be stopped if this process exits while it runs; returns what forgets it. A child in the
 * terminal's session leaves what it started there, where the user can reach it, but not holding the call:
 * as a group of its own is stopped 2 s after its leader ends, what still holds its pipes then (a hung
 * credential helper given docker's stderr, a browser a login plugin started) is no longer waited for.
 */
function stoppedAtExit(child: ChildProcess): () => void {
  if (child.pid === undefined) return () => {};
  watchExit();
  runningChildren.add(child);
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const release = () => {
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  // After a last read of the pipes (an immediate runs after the loop's poll phase): what the child wrote
  // before it ended is read, even when the loop was busy as the 2 s ran out.
  const ended = () => {
    timer = setTimeout(() => (immediate = setImmediate(release)), 2000).unref();
  };
  child.once("exit", ended);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    child.off("exit", ended);
    runningChildren.delete(child);
    unwatchExit();
  };
}

function watchExit(): void {
  if (runningGroups.size === 0 && runningChildren.size === 0) process.on("exit", stopRunningCalls);
}

function unwatchExit(): void {
  if (runningGroups.size === 0 && runningChildren.size === 0) process.off("exit", stopRunningCalls);
}

function stopGroupOf(pid: number, signal: NodeJS.Signals = "SIGTERM"): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Stops a process group of its own: `whole` (a server, kubectl proxy), SIGTERM to -pid when `signal` aborts,
 * its leader ends (what it started is stopped with it) or this process exits, and once the call is over.
 * Otherwise only what holds its pipes 2 s after its leader ended (a hung credential plugin; a wrapper's
 * logger still writing what it was given is let finish), SIGKILL 2 s later; the leader itself is stopped
 * by its timeout or signal (execa). One exit listener serves every group, however many run at once.
 */
function groupStopper(leader: ChildProcess, signal: AbortSignal | undefined, whole: boolean): () => void {
  const { pid } = leader;
  if (pid === undefined) return () => {};
  watchExit();
  runningGroups.add(pid);
  const stop = () => stopGroupOf(pid);
  const timers: NodeJS.Timeout[] = [];
  const ended = () => {
    if (whole) stop();
    const term = whole ? 0 : 2000;
    if (!whole) timers.push(setTimeout(stop, term).unref());
    timers.push(setTimeout(() => stopGroupOf(pid, "SIGKILL"), term + 2000).unref());
  };
  leader.once("exit", ended);
  if (whole) signal?.addEventListener("abort", stop, { once: true });
  return () => {
    for (const timer of timers) clearTimeout(timer);
    leader.off("exit", ended);
    if (whole) stop();
    signal?.removeEventListener("abort", stop);
    runningGroups.delete(pid);
    unwatchExit();
  };
}

function stopRunningCalls(): void {
  for (const pid of runningGroups) stopGroupOf(pid);
  for (const child of runningChildren) child.kill("SIGTERM");
}
