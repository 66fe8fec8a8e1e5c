/**
 * What a kubectl's credential plugin tells the user while it waits for them: a device-code login (Azure's
 * kubelogin, oidc-login without a browser) prints "open this page and enter this code" and waits. kubectl
 * passes the plugin's stderr through as its own, which this tool captures, so the run would sit on its
 * spinner with the instructions unseen. A stderr line of words that is not kubectl's own (an error, a
 * Warning, a log line) is relayed once its kubectl has run on for a second after it; what a call prints and
 * then ends with stays in its captured stderr, for the error it may make.
 */
import type { Exec } from "./exec.js";

/**
 * kubectl's own stderr lines: its errors and the server's warnings (reported otherwise), klog's, and Go's
 * standard log's (kubectl proxy's reverse proxy logs a page cut short so).
 */
const kubectlsOwn =
  /^(error: |Error from server|Unable to connect to the server|The connection to the server|Warning: |[IWEF]\d{4} \d\d:\d\d:\d\d|\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )/;

/** How long a kubectl must run on after a line for the line to be taken as a wait for the user. */
const quietMs = 1000;

/** `exec` whose calls relay, each line once, what a running kubectl's stderr says while it waits. */
export function relayingWaitingMessages(exec: Exec, relay: (line: string) => void, quiet = quietMs): Exec {
  return async (file, args, options = {}) => {
    const said = new StderrLines(quiet);
    let timer: NodeJS.Timeout | undefined;
    const due = () => {
      timer = undefined;
      for (const line of said.toRelay(Date.now())) relay(line);
      wait();
    };
    // Until the next piece is old enough; what a call prints and then ends with is never relayed.
    const wait = () => {
      const next = said.nextDue();
      if (next !== null && timer === undefined) timer = setTimeout(due, Math.max(0, next - Date.now()));
    };
    const onStderr = (chunk: Buffer | string) => {
      options.onStderr?.(chunk);
      said.add(String(chunk), Date.now());
      wait();
    };
    try {
      return await exec(file, args, { ...options, onStderr });
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * A kubectl's stderr as it arrives, kept as what is still to be relayed, each piece once its kubectl has run
 * on for `quiet` after it: the lines ended that are not kubectl's own, and the line not ended yet (a prompt
 * waiting on its line, "Enter the code: "), judged as it shows once it has stayed so that long. A line
 * redrawn with `\r` (a spinner, a counter, a status turned into instructions) reads as what it shows last;
 * of a line already relayed, only new words are relayed again.
 */
class StderrLines {
  private ended: { text: string; at: number }[] = [];
  private open = "";
  /** When the open line last changed what it shows. */
  private openAt = 0;
  /** What of the open line was relayed already. */
  private shown = "";

  constructor(private readonly quiet: number) {}

  add(chunk: string, now: number): void {
    const before = shownOf(this.open);
    const parts = (this.open + chunk).split("\n");
    this.open = parts.pop() ?? "";
    for (const [index, part] of parts.entries()) {
      const line = shownOf(part);
      const news = index === 0 ? newsAfter(this.shown, line) : worthRelaying(line) ? line : null;
      if (index === 0) this.shown = "";
      if (news !== null) this.ended.push({ text: news, at: now });
    }
    // A counter ticking in it ("Waiting 9s", "Waiting 10s") does not make it new.
    if (parts.length > 0 || withoutNumbers(shownOf(this.open)) !== withoutNumbers(before)) this.openAt = now;
  }

  /** When the next piece will be old enough to relay; null when there is none to relay. */
  nextDue(): number | null {
    const open = newsAfter(this.shown, shownOf(this.open)) !== null ? [this.openAt] : [];
    const times = [...this.ended.map((line) => line.at), ...open];
    return times.length > 0 ? Math.min(...times) + this.quiet : null;
  }

  /** The pieces old enough by `now`; each once. */
  toRelay(now: number): string[] {
    const old = (at: number) => at + this.quiet <= now;
    const lines = this.ended.filter((line) => old(line.at)).map((line) => line.text);
    this.ended = this.ended.filter((line) => !old(line.at));
    const open = shownOf(this.open);
    const news = newsAfter(this.shown, open);
    if (news !== null && old(this.openAt)) {
      lines.push(news);
      this.shown = open;
    }
    return lines;
  }
}

/**
 * What of `line` is worth relaying when `shown` of it was relayed before: all of it, where nothing was or
 * it was redrawn into other words; what it gained, where that has words; else null.
 */
function newsAfter(shown: string, line: string): string | null {
  if (!worthRelaying(line)) return null;
  if (shown === "") return line;
  if (line.startsWith(shown)) {
    const gained = line.slice(shown.length);
    return hasWords(gained) ? gained : null;
  }
  // A counter ticking ("Waiting 9s", "Waiting 10s") is the same line.
  return withoutNumbers(line) === withoutNumbers(shown) ? null : line;
}

/** What a line rewritten with `\r` shows last (a `\r\n` line end is no rewrite). */
function shownOf(line: string): string {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  return text.slice(text.lastIndexOf("\r") + 1);
}

/** Words, not kubectl's own: a spinner's frame or a poll's dots are not worth a line. */
function worthRelaying(line: string): boolean {
  return hasWords(line) && !kubectlsOwn.test(line);
}

function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

function withoutNumbers(text: string): string {
  return text.replace(/\d+/g, "#").trim();
}
