/** The executable's entry: wires the real process to main() and handles signals. */

import { closeSync, fstatSync, writeSync } from "node:fs";
import packageJson from "../package.json" with { type: "json" };
import { removePrivateDirs } from "./adapters/private-dir.js";
import { sharedSignal } from "./util/shared-signal.js";

/**
 * The standard descriptors that started on a character device (a terminal, or /dev/null). Asked with fstat:
 * node:tty would cost a few milliseconds of start-up.
 */
const startedOnDevices = [0, 1, 2].filter((fd) => {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
});

const controller = new AbortController();
sharedSignal(controller.signal);
/** The shell's exit code for a process a signal ended: 128 + its number. */
const exitCodes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof exitCodes;
/** The signal that stopped the run, if one did. */
let stoppedBy: StopSignal | null = null;
/** SIGINTs this process sent its own group (a Ctrl-C read as a key), taken already: not a second Ctrl-C. */
let ownInterrupts = 0;
const onSignal = (signal: StopSignal) => {
  // First signal: stop starting new work and let the command report. Second: leave at once. A run stopping
  // because its output is gone has had no signal yet: a terminal that hung up may send SIGHUP after that.
  const first = stoppedBy === null;
  stoppedBy = signal;
  if (!first) return exit(exitCodes[signal]);
  controller.abort(new Error(`received ${signal}`));
};
// SIGHUP too (the terminal closed, ssh dropped): by default it would end the process without "exit",
// leaving a private docker config behind.
for (const signal of Object.keys(exitCodes) as StopSignal[]) {
  process.on(signal, () => (signal === "SIGINT" && ownInterrupts > 0 ? ownInterrupts-- : onSignal(signal)));
}
// Ctrl-\ quits at once, as it does kubectl, but not before what "exit" does: by default it would skip it.
process.on("SIGQUIT", () => endBy("SIGQUIT", 131));
process.on("exit", removePrivateDirs);
/**
 * Set once a write to stdout or stderr fails: their reader has gone (`| head` closed the pipe: EPIPE; the
 * terminal hung up: EIO). The run then stops as on a first Ctrl-C (nothing new starts; a restart in flight
 * is still checked and recorded), and ends with 141, the code SIGPIPE ends kubectl with (128 + 13). Ending
 * at once instead, or throwing from here (an uncaught exception), could leave a restart unchecked.
 */
let outputGone = false;
/**
 * A write that failed for another reason (a full disk: ENOSPC): the output is lost though someone may be
 * reading, so the run stops the same way but says so, and fails with 1, as kubectl does; 141 would pass
 * for a reader that merely stopped early.
 */
let outputBroken: string | null = null;
/** Every error stdout and stderr failed with: main() says nothing of them (bin.ts does, or no one can). */
const outputFailures = new WeakSet<object>();
// EOF: how Node.js on Windows reports a pipe whose reader has closed.
const readerGoneCodes = new Set(["EPIPE", "EIO", "ECONNRESET", "EOF"]);
function outputFailed(stream: NodeJS.WriteStream, error: Error): void {
  outputFailures.add(error);
  // Once stopped, a later write's own failure says nothing new.
  if (outputGone || outputBroken !== null) return;
  const name = stream === process.stdout ? "stdout" : "stderr";
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (readerGoneCodes.has(code)) outputGone = true;
  else outputBroken = `cannot write to ${name}: ${error.message.replace(/^[A-Z]+: |, write$/g, "")}`;
  // The stop's reason is an output failure too: what stops on it ends as the run does (141, or 1).
  const reason = new Error(`${name} can no longer be written`);
  outputFailures.add(reason);
  controller.abort(reason);
}
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: Error) => outputFailed(stream, error));
}

/** The program's help, made at build time (scripts/build.mjs); undefined when run from the sources. */
declare const PROGRAM_HELP: string | undefined;
const programHelp = typeof PROGRAM_HELP === "string" ? PROGRAM_HELP : undefined;

const argv = process.argv.slice(2);
// Both answered before the option parser loads: it is most of what start-up costs here.
if (argv.length === 1 && argv[0] === "--version") {
  process.stdout.write(`${packageJson.version}\n`);
  exitWhenWritten(0);
} else if (
  programHelp !== undefined &&
  (argv.length === 0 || (argv.length === 1 && ["--help", "-h"].includes(argv[0]!)))
) {
  process.stdout.write(programHelp);
  exitWhenWritten(0);
} else {
  // No top-level await: the self-contained executables run this file as CommonJS (scripts/build.mjs).
  void Promise.all([import("./main.js"), import("node:os")])
    .then(([{ main }, os]) =>
      main(argv, {
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: process.stdin,
        env: process.env,
        home: process.env["HOME"] || os.homedir(),
        hostname: os.hostname(),
        signal: controller.signal,
        interrupt: interruptGroup,
        quit: quitGroup,
        isOutputFailure: (error) => typeof error === "object" && error !== null && outputFailures.has(error),
      }),
    )
    .then(exitWhenWritten);
}

/**
 * Exits as soon as everything printed has been handed to the OS: idle keep-alive sockets to registries
 * would otherwise hold the process open a while. (Pipes may be asynchronous: exiting at once could cut
 * a large -o json short; a write's callback runs after every earlier write to that stream.)
 */
function exitWhenWritten(code: number): void {
  let pending = 2;
  // A write's callback may learn of the failure before the stream's "error" event does.
  const doneWith = (stream: NodeJS.WriteStream) => (error?: Error | null) => {
    if (error) outputFailed(stream, error);
    if (--pending > 0) return;
    if (outputBroken === null) return exit(outputGone ? 141 : code);
    // Said on stderr unless stderr is what broke; the exit code says it either way.
    process.stderr.write(`error: ${outputBroken}\n`, () => exit(1));
  };
  process.stdout.write("", doneWith(process.stdout));
  process.stderr.write("", doneWith(process.stderr));
}

/**
 * A Ctrl-C read as a key (at a question, in the line editor's raw mode): sent as the terminal would have sent
 * it, SIGINT to this process group, so a script running this in a loop (its shell in the same group, with no
 * job control) stops too, and this process takes it as any first Ctrl-C.
 */
function interruptGroup(): void {
  // Taken at once, not when the signal comes back: the question's end may reach exit() before it does.
  onSignal("SIGINT");
  if (!hasProcessGroups) return;
  try {
    process.kill(0, "SIGINT");
    ownInterrupts++;
  } catch {
    // Taken already.
  }
}

/** A Ctrl-\ read as a key: SIGQUIT to this process group, as the terminal would have sent it. */
function quitGroup(): void {
  if (hasProcessGroups) {
    try {
      process.kill(0, "SIGQUIT");
      return;
    } catch {
      // Ended here, below.
    }
  }
  endBy("SIGQUIT", 131);
}

/**
 * Windows has none: a signal sent to pid 0 there fails, or (libuv reading it as this process) terminates
 * this process at once, with nothing reported and nothing cleaned up.
 */
const hasProcessGroups = process.platform !== "win32";

/**
 * Ends the process. A terminal that hung up since the start is closed first: Node.js before 22.17 restores
 * the settings of the terminals it started on at exit, and aborts when that fails on one that is gone
 * (nodejs/node#58200), where it skips a closed descriptor. Everything written has been handed to the OS by
 * then.
 */
function exit(code: number): void {
  for (const fd of startedOnDevices) if (hungUp(fd)) closeSync(fd);
  // Ended by the Ctrl-C, as kubectl is: a shell running it in a loop or a script stops there only when its
  // child died of SIGINT; a child that exits is taken to have handled the interrupt, and the loop goes on.
  if (stoppedBy === "SIGINT") endBy("SIGINT", exitCodes.SIGINT);
  else process.exit(code);
}

/**
 * Ends the process by `signal`. A process the signal cannot end (PID 1 of a container ignores it) leaves
 * with the shell's code for it.
 */
function endBy(signal: NodeJS.Signals, code: number): void {
  // What process.exit would run first (a signal skips it): the private directories removed, and the process
  // groups of calls still running (a kubectl proxy, a write outliving the first Ctrl-C) stopped.
  process.emit("exit", code);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  setTimeout(() => process.exit(code), 500);
}

/** Whether `fd` is a terminal that hung up: writing nothing to it fails with EIO. */
function hungUp(fd: number): boolean {
  try {
    writeSync(fd, "");
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EIO";
  }
}
