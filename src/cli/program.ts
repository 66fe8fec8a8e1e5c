/**
 * The command-line edge: the program and its verbs. Given the run's words, only the verbs they name get
 * their flags declared: `--version` and `--help` need none of them, and building the program stays cheap,
 * which shell completion (one process per TAB) relies on.
 */

import { Command, Help } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { mayHoldCredentials, quotedValue, shownValue } from "../util/shown-value.js";
import { declareCronVerbs } from "./cron-verbs.js";
import { declarePlanVerbs } from "./plan-verbs.js";
import type { DeclareVerb } from "./verb.js";

const programName = "kubectl autoupdate";
/**
 * The help's width in every terminal, as kubectl's help is the same text in any: the same words wrap at the
 * same places in a README, a CI log and a terminal, and the entry file can print the program's help as made
 * at build time (scripts/build.mjs).
 */
const helpWidth = 80;

/**
 * Builds the program; `io` is the process, or a test's streams. With `argv`, the words of the run, only
 * the verbs named there get their flags (every verb for completion); without, every verb.
 */
export function createProgram(io: Io, argv?: readonly string[]): Command {
  /** Each verb, and what declares its flags. */
  const verbs = new Map<Command, (command: Command) => unknown>();
  const verb: DeclareVerb = (command, addFlags) => {
    verbs.set(command, addFlags);
    return command;
  };
  const program = new Command()
    .name(programName)
    .description(
      "Find pods that run an old digest of a mutable tag (:latest, :main, :1.2) and restart them.\n" +
        "Only pods proven stale and owned by a controller that recreates them are ever deleted.",
    )
    .version(packageJson.version, "--version", "print the plugin's version")
    .showHelpAfterError(`Run '${programName} --help' for usage.`)
    // Ours below: commander's own answers a topic it does not know with the whole help and no word why.
    .helpCommand(false)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(inKubectlWords(withoutUnknownValues(text))),
    })
    .exitOverride()
    // Program flags (--version) only before the verb, so __complete receives every word as typed.
    .enablePositionalOptions()
    .configureHelp({
      helpWidth,
      // Every verb has flags, declared or not yet: the list of commands says so either way.
      subcommandTerm: (command) =>
        verbs.has(command) ? `${command.name()} [options]` : new Help().subcommandTerm(command),
    });

  declarePlanVerbs(program, io, verb);
  declareCronVerbs(program, io, verb);

  program
    .command("help")
    .description("display help for a verb")
    .argument("[verb]")
    .action((name?: string) => {
      if (name === undefined) return program.outputHelp();
      const topic = [...verbs.keys()].find((v) => v.name() === name);
      if (!topic)
        throw new UsageError(
          `unknown help topic ${quotedValue(name)}; run '${programName} --help' for the verbs`,
        );
      topic.outputHelp();
    });

  program
    .command("__complete", { hidden: true })
    .description("shell completion for kubectl_complete-autoupdate: cobra's __complete protocol")
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[words...]")
    .action(async () => {
      // The words exactly as typed: commander's own operands lose a leading "--"
      // (`kubectl autoupdate --<TAB>`).
      const raw = (program as unknown as { rawArgs: string[] }).rawArgs;
      const { completeCommand } = await import("../completion/complete-command.js");
      await completeCommand(io, program, raw.slice(raw.indexOf("__complete") + 1));
    });

  for (const command of program.commands) {
    // kubectl's pointer after a usage error its parser found (unknown flag, missing value).
    const usage = `See '${programName} ${command.name()} --help' for usage.`;
    command.configureOutput(program.configureOutput()).exitOverride().showHelpAfterError(usage);
  }
  const named = argv === undefined || argv.includes("__complete") ? null : new Set(argv);
  for (const [command, addFlags] of verbs) {
    if (named === null || named.has(command.name())) addFlags(command);
  }
  return program;
}

/**
 * A parse error commander printed, as it was printed (kubectl's words, no unknown flag's value), unprefixed,
 * on one line: its suggestion (`(Did you mean --concurrency?)`) follows on the same.
 */
export function parseErrorLine(message: string): string {
  const lines = inKubectlWords(withoutUnknownValues(message)).split("\n");
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ")
    .replace(/^error: /, "");
}

/** commander's parse errors as kubectl (pflag) words them, for scripts and people who know those. */
function inKubectlWords(message: string): string {
  return message
    .replace(/^error: unknown option '([^']*)'/, "error: unknown flag: $1")
    .replace(
      /^error: option '(?:-\w, )?(-{1,2}[\w-]+)[^']*' argument missing/,
      "error: flag needs an argument: $1",
    );
}

/**
 * An unknown flag named without its value, as kubectl names `--flag=value`: the flag may be another verb's
 * `--webhook-url` or kubectl's `--password`, and the value a secret bound for a CI log. An unknown command
 * (a value whose flag was left out) is not named where it may hold credentials.
 */
function withoutUnknownValues(message: string): string {
  // To the message's last quote: the value may hold quotes and line breaks of its own (a secret read from a
  // file often ends in one).
  return message
    .replace(/unknown option '(-[\s\S]*)'/, (_, word: string) => `unknown option '${flagNamed(word)}'`)
    .replace(/unknown command '([\s\S]*)'/, (unknown, word: string) =>
      mayHoldCredentials(word) ? shownValue(word, "unknown command") : unknown,
    );
}

/**
 * What of a flag's word an error may name: a long flag's name, to its first character no flag name has
 * (every one is lower-case letters and dashes: `--webhook-urlhttps://…` or `--tokenGHP_…` with its `=`
 * dropped; a first letter typed in capitals is kept), or a short flag's letter (pflag's `-sVALUE`).
 */
export function flagNamed(word: string): string {
  return word.startsWith("--") ? (/^--(?:[A-Za-z][a-z-]*)?/.exec(word)?.[0] ?? "--") : word.slice(0, 2);
}
