/**
 * What every verb's wiring shares: its flags are declared only when the run names it (program.ts), and its
 * action parses them into typed options before loading its command, so building the program stays cheap
 * (shell completion runs one process per TAB).
 */
import type { Command } from "commander";
import type { ConnectionOptions } from "../connection.js";
import { sayingAgain } from "../errors.js";
import type { Io } from "../io.js";

/** Declares a verb whose flags `addFlags` adds when the run needs them; returns the verb. */
export type DeclareVerb = (command: Command, addFlags: (command: Command) => unknown) => Command;

/** A verb's action: `parse` turns commander's flags into options (a UsageError first), then `run` runs. */
export function verbAction<Raw, Options extends ConnectionOptions>(
  io: Io,
  parse: (raw: Raw) => Promise<Options>,
  run: (options: Options) => Promise<void>,
): (raw: Raw) => Promise<void> {
  return async (raw) => {
    const options = await parse(raw);
    await explained(io, options, () => run(options));
  };
}

/**
 * Runs a verb. When kubectl could not reach the cluster, the error is said again naming the kubeconfig,
 * context and credentials used (read only now); --verbose shows kubectl's own output first.
 */
async function explained(io: Io, options: ConnectionOptions, verb: () => Promise<void>): Promise<void> {
  try {
    await verb();
  } catch (error) {
    // Loaded only on failure, which --version and --help never meet.
    const { ClusterAccessError } = await import("../adapters/kubectl-errors.js");
    if (!(error instanceof ClusterAccessError)) throw error;
    if (options.verbose) {
      const { escapeTerminalLines } = await import("../output/terminal-text.js");
      const output = escapeTerminalLines(error.kubectlOutput);
      // Cut off mid-line (a timeout), it still ends its line: the error follows on its own.
      io.stderr.write(`kubectl's output:\n${output}${output === "" || output.endsWith("\n") ? "" : "\n"}`);
    }
    const { explainClusterAccess } = await import("../adapters/kubeconfig-facts.js");
    throw sayingAgain(error, await explainClusterAccess(error, io.env, options));
  }
}

/** A verb's examples, as kubectl's help lays them out: each a comment, then the command. */
export function examples(...lines: readonly (readonly [comment: string, command: string])[]): string {
  const shown = lines.map(([comment, command]) => `  # ${comment}\n  kubectl autoupdate ${command}`);
  return `\nExamples:\n${shown.join("\n\n")}`;
}
