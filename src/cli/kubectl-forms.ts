/**
 * kubectl's flags are read by pflag, which takes forms commander reads otherwise: `-n=web` and `-vn=web`
 * (commander would take "=web" as the namespace, and a plan of a namespace that does not exist finds
 * nothing and succeeds), `--all-namespaces=true` and `-A=false` for a boolean, and `-v=6` or `-v6` for its
 * log level. They are rewritten to commander's forms before parsing; anything else is left for commander
 * to judge.
 */

import type { Command, Option } from "commander";
import { UsageError } from "../errors.js";
import { flagBoolean } from "../util/flag-boolean.js";
import { shortFlags } from "../util/short-flags.js";
import { quotedValue } from "../util/shown-value.js";

/**
 * kubectl's `--dry-run` takes none, client or server. Each verb's dry run is one of the two: apply's and
 * uninstall-cron's go to the server, install-cron's prints the objects without sending them.
 */
const dryRunKinds: Record<string, "client" | "server"> = {
  apply: "server",
  "uninstall-cron": "server",
  "install-cron": "client",
};

/** Whether the verb takes `--dry-run=value`: true or false, or none or its own kind of dry run. */
export function takesDryRun(verb: string, value: string): boolean {
  const kind = dryRunKinds[verb];
  return flagBoolean(value) !== undefined || (kind !== undefined && (value === "none" || value === kind));
}

/**
 * Whether a verb's words ask for a dry run, the last `--dry-run` or `--dry-run=V` deciding as when the verb
 * reads them: for a run refused before its flags were read, whose report says whether it was one.
 */
export function asksDryRun(verb: string, words: readonly string[]): boolean {
  let dryRun = false;
  for (const word of words) {
    if (word === "--") break;
    if (word === "--dry-run") dryRun = true;
    if (!word.startsWith("--dry-run=")) continue;
    const value = word.slice("--dry-run=".length);
    const kind = dryRunKinds[verb];
    dryRun =
      kind !== undefined && (value === "none" || value === kind)
        ? value === kind
        : (flagBoolean(value) ?? dryRun);
  }
  return dryRun;
}

/** The `--color` the words give (its last), unchecked, from words commander refused. */
export function askedColor(words: readonly string[]): string | undefined {
  let color: string | undefined;
  for (const [index, word] of words.entries()) {
    if (word === "--") break;
    if (word === "--color") color = words[index + 1];
    else if (word.startsWith("--color=")) color = word.slice("--color=".length);
  }
  return color;
}

/** A boolean flag's `=value`, kubectl's `--dry-run=server` among them; a usage error when it is none. */
function booleanValue(verb: Command, option: Option, value: string): boolean {
  const kind = option.long === "--dry-run" ? dryRunKinds[verb.name()] : undefined;
  if (kind !== undefined && (value === "none" || value === kind)) return value === kind;
  const on = flagBoolean(value);
  if (on !== undefined) return on;
  if (kind === undefined) {
    throw new UsageError(
      `invalid argument ${quotedValue(value)} for "${option.flags}": it takes true or false, or no value`,
    );
  }
  throw new UsageError(
    `invalid argument ${quotedValue(value)} for --dry-run: ${verb.name()}'s dry run is a ${kind} dry run (--dry-run or --dry-run=${kind})`,
  );
}

/**
 * The words of the run with kubectl's forms of the verb's flags rewritten, and the verb's flags given
 * before it (`-n web plan`, as kubectl takes `kubectl -n web get pods`) moved after it.
 */
export function kubectlForms(program: Command, argv: readonly string[]): string[] {
  const found = verbFirst(program, argv);
  if (!found || found.verb.name() === "__complete") return [...argv];
  return rewritten(found.verb, found.words);
}

/** The verb the words name, and the words with that verb first; null when they name none. */
function verbFirst(program: Command, argv: readonly string[]): { verb: Command; words: string[] } | null {
  const verbNamed = (word: string | undefined) => program.commands.find((command) => command.name() === word);
  const first = argv.findIndex((w) => !w.startsWith("-"));
  if (first === -1) return null;
  if (first === 0) {
    const verb = verbNamed(argv[0]);
    return verb ? { verb, words: [...argv] } : null;
  }
  // Flags first: the verb is the first word naming one whose flags all the words before it are. Failing
  // that, so that its parser names the flag that is wrong (`-n web --yes plan`, `-n plan`) rather than the
  // first: one whose flags they are but for flags it does not know, read as booleans, then as taking a
  // value (`--concurency 8`), then, for a verb that ends the line, with the last flag's value missing (a word
  // after it would be taken for that value).
  const readings: Reading[] = [
    {},
    { unknownFlags: "boolean" },
    { unknownFlags: "value" },
    { unknownFlags: "boolean", valueMayFollow: true },
  ];
  // The program's own --version among them: not a verb's (the program answers it).
  if (argv.includes("--version")) return null;
  for (const reading of readings) {
    for (let at = reading.valueMayFollow ? argv.length - 1 : first; at < argv.length; at++) {
      const verb = verbNamed(argv[at]);
      if (verb && onlyFlagsOf(verb, argv.slice(0, at), reading)) {
        return { verb, words: [argv[at]!, ...argv.slice(0, at), ...argv.slice(at + 1)] };
      }
    }
  }
  return null;
}

/** The verb the words name, wherever it is among them (see `kubectlForms`). */
export function namedVerb(program: Command, argv: readonly string[]): string | undefined {
  return verbFirst(program, argv)?.verb.name();
}

/**
 * kubectl's log level at `words[at]` (`-v6`, `-v=6`, `--v=6`, `-v 6`, `--v 6`, `-v`): whether it asks for
 * our --verbose (any level above 0, or none given) and how many words it takes; undefined when it is none.
 */
export function logLevelAt(
  words: readonly string[],
  at: number,
): { verbose: boolean; words: 1 | 2 } | undefined {
  const word = words[at] ?? "";
  const inWord = /^(?:-v=?|--v=)(\d+)$/.exec(word)?.[1];
  if (inWord !== undefined) return { verbose: Number(inWord) > 0, words: 1 };
  if (word !== "-v" && word !== "--v") return undefined;
  const next = words[at + 1] ?? "";
  return /^\d+$/.test(next) ? { verbose: Number(next) > 0, words: 2 } : { verbose: true, words: 1 };
}

/** What `onlyFlags` needs to know of a flag (`-n`, `--namespace`); undefined when there is no such flag. */
export type FlagLookup = (flag: string) => { takesValue: boolean } | undefined;

/**
 * Whether the words are nothing but flags, read as pflag reads them: `--flag`, `--flag=x`, short flags
 * combined (`-Av`, `-vn=web`, `-An web`: see `shortFlags`), kubectl's log level (`-v 6`), and help. With
 * `valueMayFollow`, the last flag's value may be still to come (completion); without, a flag missing its
 * value is not one.
 */
export function onlyFlags(
  words: readonly string[],
  lookup: FlagLookup,
  { valueMayFollow = false }: { valueMayFollow?: boolean } = {},
): boolean {
  const valueFollows = (i: number) => i + 1 < words.length || valueMayFollow;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith("-") || word === "--") return false;
    const level = logLevelAt(words, i);
    if (level) {
      i += level.words - 1;
      continue;
    }
    // Every verb's, though not among its options: `-n web -h plan` asks for plan's help.
    if (isHelpWord(word)) continue;
    if (word.startsWith("--")) {
      const flag = lookup(word.split("=")[0]!);
      if (!flag) return false;
      if (flag.takesValue && !word.includes("=")) {
        if (!valueFollows(i)) return false;
        i++;
      }
      continue;
    }
    const flags = shortFlags(word, lookup);
    if (!flags) return false;
    const last = flags.at(-1);
    if (last?.flag.takesValue && last.value === undefined) {
      if (!valueFollows(i)) return false;
      i++;
    } else if (last?.name === "-v" && last.value === undefined) {
      // kubectl's log level ends the word: its level may be the next word (`-Av 6`), as with a lone `-v`.
      if (/^\d+$/.test(words[i + 1] ?? "")) i++;
    }
  }
  return true;
}

/** How flags before a verb are read: flags it does not know as not flags, or as booleans, or as taking a value. */
interface Reading {
  unknownFlags?: "boolean" | "value";
  /** The last flag's value may be missing. */
  valueMayFollow?: boolean;
}

/** Whether the words are nothing but the verb's flags, each value-taking one followed by its value. */
function onlyFlagsOf(
  verb: Command,
  words: readonly string[],
  { unknownFlags, valueMayFollow = false }: Reading,
): boolean {
  const lookup = (flag: string) => {
    const option = optionOf(verb, flag);
    if (!option) return unknownFlags && { takesValue: unknownFlags === "value" };
    return { takesValue: takesValue(option) };
  };
  return onlyFlags(words, lookup, { valueMayFollow });
}

function optionOf(verb: Command, flag: string): Option | undefined {
  return verb.options.find((o) => o.short === flag || o.long === flag);
}

/** The words, the verb first, with kubectl's forms of its flags rewritten. */
function rewritten(verb: Command, argv: readonly string[]): string[] {
  const optionFor = (flag: string) => optionOf(verb, flag);
  const verbose = optionFor("--verbose");
  const pending = [...argv];
  /** The words so far, each flag with the option it gives (a value's word has none). */
  let words: { word: string; option?: Option }[] = [];
  const push = (word: string, option?: Option) => words.push({ word, ...(option ? { option } : {}) });
  /** Drops the words that gave this boolean flag earlier: with pflag, the last word for a flag wins. */
  const unset = (option: Option) => {
    words = words.filter((given) => given.option !== option);
  };
  for (let i = 0; i < pending.length; i++) {
    const word = pending[i]!;
    if (word === "--") {
      for (const rest of pending.slice(i)) push(rest);
      break;
    }
    const level = logLevelAt(pending, i);
    if (verbose && level) {
      // Level 0 asks for no --verbose: the last word for it wins, as for any flag.
      if (level.verbose) push("--verbose", verbose);
      else unset(verbose);
      i += level.words - 1;
      continue;
    }
    // cobra's help is a boolean flag too (`--help=true`); commander knows only the bare word.
    const help = word.includes("=") ? asksHelp(word) : undefined;
    if (help !== undefined) {
      if (help) push("--help");
      continue;
    }
    const bare = optionFor(word);
    if (bare && takesValue(bare)) {
      // Its value is the next word, whatever it looks like (`--as -v`): passed on as it is.
      push(word, bare);
      if (i + 1 < pending.length) push(pending[++i]!);
      continue;
    }
    // Short flags combined (`-Av`, `-vn=web`): read again one flag a word, so the forms below apply to each.
    const separate = /^-[^-]/.test(word) ? separated(verb, word) : [word];
    if (separate.length > 1) {
      pending.splice(i, 1, ...separate);
      i--;
      continue;
    }
    const assigned = /^(-[^-=]|--[^=]+)=(.*)$/s.exec(word);
    const option = assigned ? optionFor(assigned[1]!) : undefined;
    if (!assigned || !option) {
      push(word, bare);
      continue;
    }
    const [, flag, value] = assigned as unknown as [string, string, string];
    if (takesValue(option)) {
      push(word, option);
    } else if (booleanValue(verb, option, value)) {
      push(flag, option);
    } else {
      unset(option);
    }
  }
  return words.map((given) => given.word);
}

/**
 * A word of short flags as words of one flag each (`-vn=web`: `-v`, `-n`, `web`; `-Av=false`: `-A`,
 * `-v=false`); the word alone when it is one flag, or not all flags.
 */
function separated(verb: Command, word: string): string[] {
  const flags = shortFlags(word, (flag) => {
    const option = optionOf(verb, flag);
    return option && { takesValue: takesValue(option) };
  });
  if (!flags) return [word];
  return flags.flatMap(({ name, flag, value }) =>
    value === undefined ? [name] : flag.takesValue ? [name, value] : [`${name}=${value}`],
  );
}

/** Help, as cobra takes it: `-h`, `--help`, and either with `=true` or `=false`. */
const helpForm = /^(?:-h|--help)(?:=(.*))?$/s;

/** Whether a word is help's flag, with a value or without. */
export function isHelpWord(word: string): boolean {
  return helpForm.test(word);
}

/** Whether a word asks for help (`--help`, `-h=true`), or refuses it (`--help=false`); undefined if no help word. */
export function asksHelp(word: string): boolean | undefined {
  const form = helpForm.exec(word);
  if (!form) return undefined;
  const value = form[1];
  if (value === undefined) return true;
  const on = flagBoolean(value);
  if (on === undefined) {
    throw new UsageError(
      `invalid argument ${quotedValue(value)} for "-h, --help": it takes true or false, or no value`,
    );
  }
  return on;
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}
