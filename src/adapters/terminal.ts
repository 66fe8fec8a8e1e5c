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
 * run would be of the SIGINT it stands for.
 */
export async function confirm(
  question: string,
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WriteStream,
  signal: AbortSignal,
  interrupted: () => void = () => {},
): Promise<boolean> {
  const rl = createInterface({ input: stdin, output: stderr, terminal: stdin.isTTY === true });
  const asked = new AbortController();
  rl.on("SIGINT", () => {
    interrupted();
    asked.abort();
  });
  try {
    const answer = await rl.question(question, { signal: AbortSignal.any([signal, asked.signal]) });
    return /^(y|yes)$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}
