/** The spinner on stderr: only on a terminal, never with -o json|yaml, so machines never see it. */
import ora from "ora";

export interface Progress {
  update(text: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

export function createProgress(enabled: boolean, stream: NodeJS.WriteStream, color: boolean): Progress {
  // A terminal that reports no width (script(1), some CI shells) would make ora clear lines forever.
  if (!enabled || !(stream.columns > 0)) return silent;
  const spinner = ora({
    stream,
    discardStdin: false,
    color: color ? "cyan" : false,
    isEnabled: true,
  }).start();
  return {
    update(text) {
      spinner.text = text;
    },
    stop() {
      spinner.stop();
    },
  };
}
