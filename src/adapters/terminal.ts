/** Asking the user at the terminal. */
import { createInterface } from "node:readline/promises";

/**
 * Why the user cannot be asked here, or null: the answer is read from stdin and the question written to
 * stderr, so both must be the terminal (`apply 2>apply.log` would ask where nobody sees it, and fill the
 * file with the line editor's cursor codes).
 */
export function whyCannotAsk(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): string | null {
  if (stdin.isTTY !== true) return "stdin is not a terminal";
  if (stderr.isTTY !== true) return "stderr is not a terminal, so the question could not be seen";
  return null;
}

/**
 * Asks a yes/no question on stderr; only `y` or `yes` is yes. An abort (SIGINT) answers no; so does a Ctrl-C
 * typed at the question, which the line editor reads as a key: `interrupted` is told of it first, as the
 * run would be of the SIGINT it stands for. A Ctrl-\ typed there is told to `quit`, for the SIGQUIT.
 */
export async function confirm(
  question: string,
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WriteStream,
  signal: AbortSignal,
  interrupted: () => void = () => {},
  quit: () => void = () => {},
): Promise<boolean> {
  // A terminal that hung up (ssh dropped, the window closed) refuses to leave raw mode (EIO) when the line
  // editor closes on the input's end: an uncaught exception, and Node.js then aborts restoring that terminal.
  // Gone, it has nothing to restore.
  const setRawMode = stdin.setRawMode;
  if (typeof setRawMode === "function") {
    stdin.setRawMode = (mode: boolean) => {
      try {
        return setRawMode.call(stdin, mode);
      } catch {
        return stdin;
      }
    };
  }
  const rl = createInterface({ input: stdin, output: stderr, terminal: stdin.isTTY === true });
  const asked = new AbortController();
  rl.on("SIGINT", () => {
    interrupted();
    asked.abort();
  });
  // The input ended (Ctrl-D, or the terminal gone): no answer, which is no.
  rl.on("close", () => asked.abort());
  // Back from Ctrl-Z (`fg`): the line editor paused itself, and the question would be dropped unanswered.
  rl.on("SIGCONT", () => rl.resume());
  // Raw mode sends no SIGQUIT for Ctrl-\: the byte would go into the answer. The terminal leaves raw mode
  // first: the process then dies of the SIGQUIT, which gives the terminal back to no one.
  const quitKey = (chunk: Buffer | string) => {
    if (!String(chunk).includes("\x1c")) return;
    rl.close();
    quit();
  };
  stdin.on("data", quitKey);
  try {
    const answer = await rl.question(question, { signal: AbortSignal.any([signal, asked.signal]) });
    return /^(y|yes)$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    stdin.off("data", quitKey);
    rl.close();
    if (typeof setRawMode === "function") stdin.setRawMode = setRawMode;
  }
}
