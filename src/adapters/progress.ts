/**
 * The spinner on stderr: only on a terminal that can draw it, and never with -o json|yaml, so that machines
 * never see it.
 */
import type { Ora } from "ora";

export interface Progress {
  update(text: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/**
 * Whether `stream` can show a spinner, which moves the cursor and rewrites its line: a terminal, and one
 * that reports its width (without it, script(1) and some CI shells, ora would clear lines forever). Not
 * TERM=dumb (Emacs' shell, some IDE consoles: the cursor codes would show as text) nor with $CI set (a
 * CI log keeps every frame): ora's own rule, which the isEnabled given below would skip.
 */
export function canAnimate(
  stream: NodeJS.WriteStream,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return stream.isTTY === true && stream.columns > 0 && env["TERM"] !== "dumb" && env["CI"] === undefined;
}

/** `wanted`: the run shows progress at all (not -o json|yaml, not --verbose); shown where it can be drawn. */
export function createProgress(
  wanted: boolean,
  stream: NodeJS.WriteStream,
  env: Readonly<Record<string, string | undefined>>,
  color: boolean,
): Progress {
  if (!wanted || !canAnimate(stream, env)) return silent;
  // ora and its dependencies take tens of milliseconds to load: only a terminal waits for them, and the
  // work goes on meanwhile (the spinner shows the latest text once loaded).
  let text = "";
  let stopped = false;
  let spinner: Ora | undefined;
  import("ora")
    .then(({ default: ora }) => {
      if (stopped) return;
      spinner = ora({ stream, discardStdin: false, color: color ? "cyan" : false, isEnabled: true });
      spinner.start(text);
    })
    .catch(() => {
      // A spinner is a courtesy; the run goes on without it.
    });
  return {
    update(next) {
      text = next;
      if (spinner) spinner.text = next;
    },
    stop() {
      stopped = true;
      spinner?.stop();
    },
  };
}
