/** The single catch: typed errors become one line on stderr and an exit code. */
import { type Command, CommanderError } from "commander";
import { removePrivateDirs } from "./adapters/private-dir.js";
import {
  askedColor,
  asksDryRun,
  asksHelp,
  isHelpWord,
  kubectlForms,
  logLevelAt,
  namedVerb,
} from "./cli/kubectl-forms.js";
import { createProgram, flagNamed, parseErrorLine } from "./cli/program.js";
import { AutoupdateError, ExitCode, failureMessage, InterruptedError, UsageError } from "./errors.js";
import type { Io } from "./io.js";
import { escapeTerminal, escapeTerminalLines } from "./output/terminal-text.js";
import { withoutUserInfo } from "./util/url-secrets.js";

/** Runs the CLI and returns its exit code; never calls process.exit. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let program: Command | undefined;
  let words = argv;
  // As parsed once parsing got that far, else as written after kubectl's forms (`-Av`, `-v=6`) became
  // --verbose: a `-v` left is another flag's value or unknown.
  // Completion's words are the line being typed, not this run's flags: it stays quiet on stderr.
  const verbose = () =>
    argv[0] !== "__complete" &&
    (program?.commands.some((command) => command.opts().verbose === true) || words.includes("--verbose"));
  try {
    program = createProgram(io, argv);
    if (argv.length === 0) {
      // As kubectl and cobra's commands do: a bare command is a question, answered on stdout.
      io.stdout.write(program.helpInformation());
      return 0;
    }
    // Every verb's flags declared only here, on this error's path: a run declares its own verb's alone.
    const verbless = flagsWithoutVerb(program, argv, () => createProgram(io));
    // Help asked for beside flags is help, as kubectl gives it (`kubectl -n web -h`).
    // So is help alone, whatever its value (`--help=false`): a bare command answers with it too.
    if ((verbless && helpAmong(argv)) || argv.every(isHelpWord)) {
      io.stdout.write(program.helpInformation());
      return 0;
    }
    if (verbless) throw new UsageError(verbless);
    try {
      words = kubectlForms(program, argv);
    } catch (error) {
      if (error instanceof UsageError) {
        await reportFailedApply(error.message, namedVerb(program, argv), argv, io);
      }
      throw error;
    }
    await program.parseAsync([...words], { from: "user" });
    return 0;
  } catch (error) {
    // Commander's own refusals come before any verb's action, which reports the run's failures itself.
    if (error instanceof CommanderError && error.exitCode !== 0) {
      await reportFailedApply(parseErrorLine(error.message), words[0], words, io);
    }
    return report(error, io, verbose());
  } finally {
    removePrivateDirs();
    if (verbose()) io.stderr.write(`${ownUsage(process.resourceUsage())}\n`);
  }
}

/**
 * An apply refused before its action (a flag mistyped, or given a value it cannot take, in the CronJob's
 * args): its failure kept and its RunReport posted as for any failed run, where the environment says where
 * (the CronJob's way of saying it).
 */
async function reportFailedApply(
  message: string,
  verb: string | undefined,
  words: readonly string[],
  io: Io,
): Promise<void> {
  if (verb !== "apply") return;
  const [{ reportingDespite }, { webhookUrlEnv }] = await Promise.all([
    import("./cli/options.js"),
    import("./cron/core/job-contract.js"),
  ]);
  // A webhook flag wins over the variable, and its value cannot be trusted from a failed parse: no webhook.
  const webhookFlag = flagWords(words).some((word) => /^--webhook-url(?:-file)?(?:=|$)/.test(word));
  const env = webhookFlag ? { ...io.env, [webhookUrlEnv]: undefined } : io.env;
  const asked = { dryRun: asksDryRun("apply", words), color: askedColor(words) };
  const reporting = reportingDespite(asked, env);
  if (!reporting) return;
  const { reportRunNotStarted } = await import("./commands/apply.js");
  await reportRunNotStarted(io, reporting, new UsageError(message));
}

/**
 * Why words of flags name no verb (`kubectl autoupdate -n web`), or null: the flags are a verb's, and
 * commander would call the first an unknown option; one no verb takes is unknown, as kubectl says. Its value
 * is left out: it may be a secret.
 */
function flagsWithoutVerb(
  program: Command,
  argv: readonly string[],
  withEveryVerbsFlags: () => Command,
): string | null {
  const first = argv[0] ?? "";
  if (!first.startsWith("-") || ["--help", "-h", "--version"].includes(first)) return null;
  if (program.commands.some((verb) => argv.includes(verb.name()))) return null;
  // Of a short form only its first flag is named (pflag's -sVALUE, or -AsVALUE after a boolean).
  const flag = flagNamed(first);
  const someVerbTakes =
    logLevelAt([first], 0) !== undefined ||
    withEveryVerbsFlags().commands.some((verb) =>
      verb.options.some((option) => option.long === flag || option.short === flag),
    );
  if (!someVerbTakes) return `unknown flag: ${flag}; run 'kubectl autoupdate --help' for the verbs`;
  return `${flag} needs a verb, such as plan or apply (kubectl autoupdate plan ${flag} …); run 'kubectl autoupdate --help' for the verbs`;
}

/**
 * Whether -h or --help (`--help=true` too) comes among the flags (before a `--`). One whose value is no
 * boolean (`-n --help=x`) is another flag's value, as pflag reads it.
 */
function helpAmong(argv: readonly string[]): boolean {
  return flagWords(argv).some((word) => {
    try {
      return asksHelp(word) === true;
    } catch {
      return false;
    }
  });
}

/** The words before a `--`, after which none is a flag. */
function flagWords(words: readonly string[]): readonly string[] {
  return words.includes("--") ? words.slice(0, words.indexOf("--")) : words;
}

function report(error: unknown, io: Io, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (help, version, or `error: unknown flag: ...`).
    return error.exitCode === 0 ? 0 : 1;
  }
  if (error instanceof ExitCode) return error.exitCode;
  // stdout's or stderr's reader has gone (a closed pipe, a hung-up terminal): bin.ts ends the run with 141,
  // and there may be no one to tell.
  if (io.isOutputFailure?.(error)) return 141;
  // The message may quote the cluster or a registry (kubectl's errors): one line, escaped for the terminal.
  io.stderr.write(`error: ${escapeTerminal(failureMessage(error, io.signal.aborted))}\n`);
  // A run stopped by a signal fails as interrupted, whatever broke on its way out.
  if (io.signal.aborted && !(error instanceof InterruptedError)) return 1;
  if (verbose && error instanceof Error && error.stack)
    io.stderr.write(`${escapeTerminalLines(withoutUserInfo(error.stack))}\n`);
  return error instanceof AutoupdateError ? error.exitCode : 1;
}

/**
 * This process's own peak memory and CPU time (a child's, e.g. kubectl's, is not included), for --verbose:
 * the benchmark reads the line.
 */
function ownUsage(usage: NodeJS.ResourceUsage): string {
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  return `peak RSS ${Math.round(usage.maxRSS / 1024)} MB, CPU ${cpuSeconds.toFixed(2)} s`;
}
