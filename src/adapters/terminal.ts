/** Asking the user at the terminal. */
import { createInterface } from "node:readline/promises";

/** Asks a yes/no question on stderr; only `y` or `yes` is yes. An abort (SIGINT) answers no. */
export async function confirm(
  question: string,
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WriteStream,
  signal: AbortSignal,
): Promise<boolean> {
  const rl = createInterface({ input: stdin, output: stderr, terminal: stdin.isTTY === true });
  try {
    const answer = await rl.question(question, { signal });
    return /^(y|yes)$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}
