/** The spinner on stderr: only on a terminal, never with -o json|yaml, so machines never see it. */
import type { Ora } from "ora";

export interface Progress {
  update(text: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

export function createProgress(enabled: boolean, stream: NodeJS.WriteStream, color: boolean): Progress {
  // A terminal that reports no width (script(1), some CI shells) would make ora clear lines forever.
  if (!enabled || !(stream.columns > 0)) return silent;
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
