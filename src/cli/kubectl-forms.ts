/**
 * kubectl's flags are read by pflag, which takes forms commander reads otherwise: `-n=web` (commander
 * would take "=web" as the namespace, and a plan of a namespace that does not exist finds nothing and
 * succeeds), `--all-namespaces=true` and `-A=false` for a boolean, and `-v=6` for its log level. They are
 * rewritten to commander's forms before parsing; anything else is left for commander to judge.
 */
import type { Command, Option } from "commander";

const truths = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const falsehoods = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** The words of the run with kubectl's forms of the verb's flags rewritten. */
export function kubectlForms(program: Command, argv: readonly string[]): string[] {
  const verb = program.commands.find((command) => command.name() === argv.find((w) => !w.startsWith("-")));
  if (!verb || verb.name() === "__complete") return [...argv];
  const optionFor = (flag: string) => verb.options.find((o) => o.short === flag || o.long === flag);
  const verbose = optionFor("--verbose");
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      words.push(...argv.slice(i));
      break;
    }
    // kubectl's log level (`-v 6`, `-v=6`, `--v=6`): any level above 0 asks for our --verbose.
    const level = /^--?v(?:=(\d+))?$/.exec(word);
    if (verbose && level) {
      const next = level[1] ?? (word === "-v" && /^\d+$/.test(argv[i + 1] ?? "") ? argv[++i] : undefined);
      if (next === undefined || Number(next) > 0) words.push("--verbose");
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
    } else if (truths.has(value)) {
      words.push(flag);
    } else if (!falsehoods.has(value)) {
      words.push(word);
    }
  }
  return words;
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}
