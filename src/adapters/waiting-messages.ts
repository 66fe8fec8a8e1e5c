/**
 * What a kubectl's credential plugin tells the user while it waits for them: a device-code login (Azure's
 * kubelogin, oidc-login without a browser) prints "open this page and enter this code" and waits. kubectl
 * passes the plugin's stderr through as its own, which this tool captures, so the run would sit on its
 * spinner with the instructions unseen. A stderr line that is not kubectl's own (an error, a Warning, a
 * klog line) and is followed by quiet, its kubectl still running, is relayed; what a call prints and then
 * ends with stays in its captured stderr, for the error it may make.
 */
import type { Exec } from "./exec.js";

/** kubectl's own stderr lines: its errors and the server's warnings (reported otherwise), and klog's. */
const kubectlsOwn =
  /^(error: |Error from server|Unable to connect to the server|The connection to the server|Warning: |[IWEF]\d{4} \d\d:\d\d:\d\d)/;

/** How long a line must be followed by quiet, its kubectl still running, to be taken as a wait for the user. */
const quietMs = 1000;

/** `exec` whose calls relay, each line once, what a running kubectl's stderr says while it waits. */
export function relayingWaitingMessages(exec: Exec, relay: (line: string) => void, quiet = quietMs): Exec {
  return async (file, args, options = {}) => {
    let partial = "";
    // How much of `partial` was relayed already: a prompt that waits on its line ("Enter the code: ").
    let partialRelayed = 0;
    const pending: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const theirs = (line: string) => line.trim() !== "" && !kubectlsOwn.test(line);
    const flush = () => {
      for (const line of pending.splice(0)) relay(line);
      if (theirs(partial.slice(partialRelayed))) {
        relay(partial.slice(partialRelayed));
        partialRelayed = partial.length;
      }
    };
    const onStderr = (chunk: Buffer | string) => {
      options.onStderr?.(chunk);
      const lines = (partial + String(chunk)).split("\n");
      const ended = lines.length > 1;
      partial = lines.pop() ?? "";
      if (ended && partialRelayed > 0) {
        lines[0] = lines[0]!.slice(partialRelayed);
        partialRelayed = 0;
      }
      const said = lines.filter(theirs);
      pending.push(...said);
      if (said.length === 0 && !theirs(partial.slice(partialRelayed))) return;
      clearTimeout(timer);
      timer = setTimeout(flush, quiet);
    };
    try {
      return await exec(file, args, { ...options, onStderr });
    } finally {
      clearTimeout(timer);
    }
  };
}
