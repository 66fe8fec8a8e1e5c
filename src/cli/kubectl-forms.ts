/**
 * kubectl's flags are read by pflag, which takes forms commander reads otherwise: `-n=web` (commander
 * would take "=web" as the namespace, and a plan of a namespace that does not exist finds nothing and
 * succeeds), `--all-namespaces=true` and `-A=false` for a boolean, and `-v=6` for its log level. They are
 * rewritten to commander's forms before parsing; anything else is left for commander to judge.
 */
import type { Command, Option } from "commander";

const truths = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const falsehoods = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** A boolean flag's `=value` as pflag (Go's strconv.ParseBool) reads it; undefined when it is none. */
export function flagBoolean(value: string): boolean | undefined {
  return truths.has(value) ? true : falsehoods.has(value) ? false : undefined;
}

/** The words of the run with kubectl's forms of the verb's flags rewritten. */
export function kubectlForms(program: Command, argv: readonly string[]): string[] {
  const verb = program.commands.find((command) => command.name() === argv.find((w) => !w.startsWith("-")));
  if (!verb || verb.name() === "__complete") return [...argv];
  const optionFor = (flag: string) => verb.options.find((o) => o.short === flag || o.long === flag);
  const verbose = optionFor("--verbose");
  const words: string[] = [];
  /** Drops the words that gave this boolean flag earlier: with pflag, the last word for a flag wins. */
  const unset = (option: Option) => {
    for (let at = words.length - 1; at >= 0; at--) {
      if (words[at] === option.short || words[at] === option.long) words.splice(at, 1);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      words.push(...argv.slice(i));
      break;
    }
    // kubectl's log level (`-v 6`, `--v 6`, `-v=6`, `--v=6`): any level above 0 asks for our --verbose.
    const level = /^--?v(?:=(\d+))?$/.exec(word);
    if (verbose && level) {
      const next = level[1] ?? (/^\d+$/.test(argv[i + 1] ?? "") ? argv[++i] : undefined);
      if (next === undefined || Number(next) > 0) words.push("--verbose");
      continue;
    }
    const bare = optionFor(word);
    if (bare && takesValue(bare)) {
      // Its value is the next word, whatever it looks like (`--as -v`): passed on as it is.
      words.push(word, ...(i + 1 < argv.length ? [argv[++i]!] : []));
      continue;
    }
    const assigned = /^(-[^-=]|--[^=]+)=(.*)$/s.exec(word);
    const option = assigned ? optionFor(assigned[1]!) : undefined;
    if (!assigned || !option) {
      words.push(word);
      continue;
    }
    const [, flag, value] = assigned as unknown as [string, string, string];
    if (takesValue(option)) {
      words.push(...(flag.startsWith("--") ? [word] : [flag, value]));
    } else {
      const on = flagBoolean(value);
      if (on === true) words.push(flag);
      else if (on === false) unset(option);
      else words.push(word);
    }
  }
  return words;
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}
