/** The executable's entry: wires the real process to main() and handles signals. */
import { removePrivateDirs } from "./adapters/private-dir.js";
import { main } from "./main.js";

const controller = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  // First signal: stop starting new work and let the command report. Second: leave at once.
  if (controller.signal.aborted) {
    removePrivateDirs();
    process.exit(signal === "SIGINT" ? 130 : 143);
  }
  controller.abort(new Error(`received ${signal}`));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
process.on("exit", removePrivateDirs);

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
