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

// No top-level await: the self-contained executables run this file as CommonJS (scripts/build.mjs).
void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: controller.signal,
}).then(exitWhenWritten);

/**
 * Exits as soon as everything printed has been handed to the OS: idle keep-alive sockets to registries
 * would otherwise hold the process open a while. (Pipes may be asynchronous: exiting at once could cut
 * a large -o json short; a write's callback runs after every earlier write to that stream.)
 */
function exitWhenWritten(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}
