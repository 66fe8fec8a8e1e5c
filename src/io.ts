import { once } from "node:events";
import { setImmediate as setImmediatePromise } from "node:timers/promises";

/** The process around a command: streams, environment, cancellation. Tests pass their own. */
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home ($HOME, else the system's record), where docker's and kubectl's files are. */
  home: string;
  /** This machine's name: who recorded an Event. */
  hostname: string;
  /** Aborted on SIGINT/SIGTERM/SIGHUP, and when stdout or stderr can no longer be written. */
  signal: AbortSignal;
  /**
   * A Ctrl-C read as a key (a prompt's line editor puts the terminal in raw mode, where it sends no SIGINT):
   * stops the run as the SIGINT would have.
   */
  interrupt?(): void;
  /** A Ctrl-\ read as a key, likewise: quits as the SIGQUIT would have. */
  quit?(): void;
  /** Whether this error is a failed write to stdout or stderr: their reader has gone (bin.ts exits 141). */
  isOutputFailure?(error: unknown): boolean;
}

/**
 * Writes text made piece by piece, waiting whenever the reader is behind, so pieces do not pile up. Stops
 * when the stream is gone (its reader closed it: bin.ts ends the run), rather than wait for it forever, and
 * when the run is stopped: then it says "stopped".
 */
export async function writePieces(
  stream: NodeJS.WritableStream,
  pieces: Iterable<string>,
  stop?: AbortSignal,
): Promise<"written" | "stopped"> {
  for (const piece of pieces) {
    if (isGone(stream) || stop?.aborted) return "stopped";
    if (!stream.write(piece)) await drainedOrClosed(stream, stop);
    // A turn of the event loop between pieces: a signal's handler runs only then, and a reader that keeps up
    // would otherwise never let one come until the last piece.
    else if (stop) await setImmediatePromise();
  }
  return "written";
}

/** Whichever comes first; the other waits are taken back, or every wait would leave its listeners behind. */
async function drainedOrClosed(stream: NodeJS.WritableStream, stop?: AbortSignal): Promise<void> {
  const waits = new AbortController();
  const { signal } = waits;
  const stopped = stop ? [once(stop, "abort", { signal })] : [];
  try {
    await Promise.race([once(stream, "drain", { signal }), once(stream, "close", { signal }), ...stopped]);
  } finally {
    waits.abort();
  }
}

/** Whether the stream's reader has gone (a closed pipe, a hung-up terminal). */
export function isGone(stream: NodeJS.WritableStream): boolean {
  return (stream as { destroyed?: boolean }).destroyed === true;
}
