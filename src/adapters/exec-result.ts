/**
 * What a program run ended with, and the words for it in messages: plain data, so that reading kubectl's
 * or docker's answers needs no process runner.
 */

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the timeout or the signal ended it. */
  interrupted: boolean;
  /** The signal that killed it (e.g. SIGKILL), when one did. */
  killedBy?: string;
  /**
   * A signal this tool did not send killed it: a terminal's Ctrl-C reaches every process of its group,
   * the children too, while this tool itself goes on to finish what it started.
   */
  killedFromOutside?: true;
}

/** `exit 2`, or `killed by SIGKILL`: how a run that failed ended, for messages. */
export function howItEnded(result: ExecResult): string {
  return result.killedBy ? `killed by ${result.killedBy}` : `exit ${result.exitCode}`;
}

/** The first non-empty line of a tool's stderr, for one-line errors. */
export function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? ""
  );
}
