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
    const said = new StderrLines();
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      for (const line of said.toRelay()) relay(line);
    };
    const onStderr = (chunk: Buffer | string) => {
      options.onStderr?.(chunk);
      // Only something new to say starts the wait for quiet; a spinner redrawing its line does not.
      if (!said.add(String(chunk))) return;
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

/**
 * A kubectl's stderr as it arrives, kept as what is still to be relayed: the lines ended that are not
 * kubectl's own, and the line not ended yet (a prompt waiting on its line, "Enter the code: "), shown once
 * and its rest once it ends. A line rewritten with `\r` (a spinner, a counter) reads as what it shows last.
 */
class StderrLines {
  private readonly ended: string[] = [];
  private open = "";
  /** How much of the open line was relayed already. */
  private shown = 0;

  /** Takes a chunk; whether it brought something new to relay (a line ended, or one begun). */
  add(chunk: string): boolean {
    const parts = (this.open + chunk).split("\n");
    const begun = this.open === "";
    this.open = parts.pop() ?? "";
    let news = false;
    for (const [index, part] of parts.entries()) {
      const line = shownOf(part);
      const rest = index === 0 ? line.slice(this.shown) : line;
      // What a shown line gained while it waited: words are worth a line, a poll's dots are not.
      const dotsOnly = index === 0 && this.shown > 0 && !/[\p{L}\p{N}]/u.test(rest);
      if (index === 0) this.shown = 0;
      if (theirs(rest) && !dotsOnly) {
        this.ended.push(rest);
        news = true;
      }
    }
    return news || (begun || parts.length > 0 ? theirs(shownOf(this.open)) : false);
  }

  /** What to relay now; each piece once. */
  toRelay(): string[] {
    const lines = this.ended.splice(0);
    const open = shownOf(this.open);
    if (this.shown === 0 && theirs(open)) {
      lines.push(open);
      this.shown = open.length;
    }
    return lines;
  }
}

/** What a line rewritten with `\r` shows last (a `\r\n` line end is no rewrite). */
function shownOf(line: string): string {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  return text.slice(text.lastIndexOf("\r") + 1);
}

function theirs(line: string): boolean {
  return line.trim() !== "" && !kubectlsOwn.test(line);
}
