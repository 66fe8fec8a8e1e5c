/**
 * What completion knows of the command line, read from commander's own definitions (help's view of them:
 * visible verbs and options only), so a new flag or choice completes without being listed twice.
 */
import type { Command, Option } from "commander";

export interface FlagSpec {
  /** `--namespace`, or undefined for a short-only flag. */
  long?: string;
  /** `-n`. */
  short?: string;
  /** commander's key for the value (`asGroup`, `headers` for --no-headers). */
  key: string;
  description: string;
  takesValue: boolean;
  /** The values the flag takes, when they are a list (flags.ts's `oneOf`). */
  choices?: readonly string[];
  /** May be given again (a collecting flag such as --image), so it is offered again. */
  repeatable: boolean;
  /** Its value is a file (declared `<path>`): the shell completes file names. */
  path: boolean;
}

export interface VerbSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
}

export interface CommandLineSpec {
  verbs: VerbSpec[];
  /** The program's own flags (--version, --help), valid before a verb. */
  flags: FlagSpec[];
}

export function describeProgram(program: Command): CommandLineSpec {
  const help = program.createHelp();
  return {
    verbs: help.visibleCommands(program).map((verb) => ({
      name: verb.name(),
      description: oneLine(verb.summary() || verb.description()),
      flags: help.visibleOptions(verb).map(describeFlag),
    })),
    flags: help.visibleOptions(program).map(describeFlag),
  };
}

function describeFlag(option: Option): FlagSpec {
  return {
    ...(option.long ? { long: option.long } : {}),
    ...(option.short ? { short: option.short } : {}),
    key: option.attributeName(),
    description: oneLine(option.description),
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: option.argChoices } : {}),
    // A custom argument parser on a flag without a list of values collects them (flags.ts's `collect`);
    // commander has no other mark of a repeatable flag.
    repeatable: option.variadic || (option.parseArg !== undefined && option.argChoices === undefined),
    path: /<path>/.test(option.flags),
  };
}

/** The first line, without tabs: cobra's protocol separates a candidate from its description by a tab. */
function oneLine(text: string): string {
  return (text.split("\n")[0] ?? "").replace(/\t/g, " ").trim();
}
