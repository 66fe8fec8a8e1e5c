/** What every verb builds from its connection flags: colour, the --verbose log, the one exec, kubectl. */
import { createExec, type Exec, type ToolHint } from "./adapters/exec.js";
import { Kubectl, type KubectlConnection } from "./adapters/kubectl.js";
import { canAnimate } from "./adapters/progress.js";
import { relayingWaitingMessages } from "./adapters/waiting-messages.js";
import type { Io } from "./io.js";
import { type ColorMode, type StreamColors, streamColors } from "./output/color.js";
import { escapeTerminal } from "./output/terminal-text.js";
import { warningLine } from "./output/warning.js";

/** How a verb reaches the cluster and talks to the user. */
export interface ConnectionOptions {
  connection: KubectlConnection;
  kubectlPath: string;
  color: ColorMode;
  verbose: boolean;
}

export interface Connection {
  colors: StreamColors;
  /** A line on stderr, only with --verbose. */
  debug(line: string): void;
  exec: Exec;
  kubectl: Kubectl;
}

/** `tools`: other programs the verb runs, with the flag that names each (for "not found" messages). */
export function connect(
  io: Io,
  options: ConnectionOptions,
  tools: Record<string, ToolHint> = {},
): Connection {
  const colors = streamColors(options.color, io);
  // --verbose lines quote registries and the cluster: escaped for the terminal.
  const debug = (line: string) => {
    if (options.verbose) io.stderr.write(`${colors.stderr.dim(escapeTerminal(line))}\n`);
  };
  const exec = createExec({ [options.kubectlPath]: { override: "--kubectl (or KUBECTL)" }, ...tools }, debug);
  // Each once, as kubectl's own warning handler does within a call: a dry run and its apply warn alike.
  // Over the spinner's line, if one may be drawn: it is drawn again below. Not where none can be: such a
  // terminal shows the codes as text.
  const clearLine = canAnimate(io.stderr, io.env) ? "\r\u001b[2K" : "";
  const warned = new Set<string>();
  const serverWarning = (text: string) => {
    if (warned.has(text)) return;
    warned.add(text);
    io.stderr.write(`${clearLine}${warningLine(colors.stderr, text)}`);
  };
  const waitingMessage = (line: string) => io.stderr.write(`${clearLine}${escapeTerminal(line)}\n`);
  const kubectl = new Kubectl(
    relayingWaitingMessages(exec, waitingMessage),
    options.kubectlPath,
    options.connection,
    io.signal,
    serverWarning,
  );
  return { colors, debug, exec, kubectl };
}
