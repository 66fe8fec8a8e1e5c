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
  // Flags first: the verb is the first word naming one whose flags all the words before it are.
  for (let at = first; at < argv.length; at++) {
    const verb = verbNamed(argv[at]);
    if (verb && onlyFlagsOf(verb, argv.slice(0, at))) {
      return { verb, words: [argv[at]!, ...argv.slice(0, at), ...argv.slice(at + 1)] };
    }
  }
  return null;
}

/** What `onlyFlags` needs to know of a flag (`-n`, `--namespace`); undefined when there is no such flag. */
export type FlagLookup = (flag: string) => { takesValue: boolean } | undefined;

/**
 * Whether the words are nothing but flags, read as pflag and commander read them: `--flag`, `--flag=x`,
 * short flags combined (`-Av`, `-An web`: a value-taking one ends the word, its value the rest of the word,
 * `-nweb`, `-n=web`, or the next word), kubectl's log level (`-v 6`), and help. With `valueMayFollow`, the
 * last flag's value may be still to come (completion); without, a flag missing its value is not one.
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
    if (/^--?v(?:=\d+)?$/.test(word)) {
      if (!word.includes("=") && /^\d+$/.test(words[i + 1] ?? "")) i++;
      continue;
    }
    // Every verb's, though not among its options: `-n web -h plan` asks for plan's help.
    if (word === "-h" || word === "--help") continue;
    if (word.startsWith("--")) {
      const flag = lookup(word.split("=")[0]!);
      if (!flag) return false;
      if (flag.takesValue && !word.includes("=")) {
        if (!valueFollows(i)) return false;
        i++;
      }
      continue;
    }
    for (let at = 1; at < word.length; at++) {
      const flag = lookup(`-${word[at]}`);
      if (!flag) return false;
      if (!flag.takesValue) continue;
      if (at === word.length - 1) {
        if (!valueFollows(i)) return false;
        i++;
      }
      break;
    }
  }
  return true;
}

/** Whether the words are nothing but the verb's flags, each value-taking one followed by its value. */
function onlyFlagsOf(verb: Command, words: readonly string[]): boolean {
  return onlyFlags(words, (flag) => {
    const option = optionOf(verb, flag);
    return option && { takesValue: takesValue(option) };
  });
}

function optionOf(verb: Command, flag: string): Option | undefined {
  return verb.options.find((o) => o.short === flag || o.long === flag);
}

/** The words, the verb first, with kubectl's forms of its flags rewritten. */
function rewritten(verb: Command, argv: readonly string[]): string[] {
  const optionFor = (flag: string) => optionOf(verb, flag);
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
