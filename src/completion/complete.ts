/**
 * Shell completion, decided without I/O: given the words after `kubectl autoupdate` (the last one being
 * completed, "" for a new word), either the candidates themselves or the cluster lookup that gives them.
 * The answer follows cobra's `__complete` conventions, which kubectl relays to the shell.
 */
import { logLevelAt, onlyFlags, takesDryRun } from "../cli/kubectl-forms.js";
import { flagBoolean } from "../util/flag-boolean.js";
import { shortFlags } from "../util/short-flags.js";
import type { CommandLineSpec, FlagSpec, VerbSpec } from "./spec.js";

/** cobra's ShellCompDirective bits. */
export const Directive = {
  /** Complete as usual: the shell falls back to file names when there is no candidate. */
  default: 0,
  /** Something failed: complete nothing. */
  error: 1,
  /** No space after the candidate. */
  noSpace: 2,
  /** Never fall back to file names. */
  noFileComp: 4,
} as const;

export interface Candidate {
  value: string;
  description?: string;
}

/** Where the values of a flag come from, beyond commander's choices. */
export type Lookup = "namespaces" | "contexts" | "clusters" | "users";

/** A flag's values, written as the user typed them: what a lookup passes on to kubectl (--context …). */
export type TypedFlags = Record<string, string | string[] | boolean>;

type Candidates = { kind: "candidates"; candidates: Candidate[]; directive: number };

export type Answer = Candidates | { kind: "lookup"; lookup: Lookup; prefix: string; flags: TypedFlags };

/** Flags whose values are read from the cluster or the kubeconfig, by long name. */
const lookups: Record<string, Lookup> = {
  "--namespace": "namespaces",
  "--context": "contexts",
  "--cluster": "clusters",
  "--user": "users",
};

/** `words`: the words after the plugin's name; the last is the one being completed. */
export function complete(spec: CommandLineSpec, words: readonly string[]): Answer {
  const toComplete = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  if (before[0]?.startsWith("-")) return completeFlagsFirst(spec, before, toComplete);
  if (before.length === 0) {
    // A verb's flag with its value (`--context=`) starts the flags-first form.
    if (inlineValue([], toComplete) !== undefined) return completeFlagsFirst(spec, before, toComplete);
    if (toComplete.startsWith("-")) {
      // The program's own (--version, --help) and, as flags may come before the verb, every verb's.
      const own = flagNames(spec.flags, toComplete, new Set());
      const shared = completeFlagsFirst(spec, before, toComplete);
      const more = shared.kind === "candidates" ? shared.candidates : [];
      const seen = new Set(own.candidates.map((c) => c.value));
      return { ...own, candidates: [...own.candidates, ...more.filter((c) => !seen.has(c.value))] };
    }
    return verbs(spec.verbs, toComplete);
  }
  const verb = spec.verbs.find((v) => v.name === before[0]);
  if (!verb) return nothing(Directive.error);
  // help's topics are the other verbs: `help help` is no topic.
  if (verb.name === "help")
    return before.length === 1
      ? verbs(
          spec.verbs.filter((v) => v.name !== "help"),
          toComplete,
        )
      : nothing();

  const scan = scanFlags(verb, before.slice(1));
  if (scan.endOfFlags) return nothing();
  if (scan.awaitingValue) return flagValue(scan.awaitingValue, toComplete, scan.typed);
  const inline = inlineValue(verb.flags, toComplete);
  if (inline !== undefined) return inline ? flagValue(inline.flag, inline.prefix, scan.typed) : nothing();
  if (toComplete.startsWith("-")) return flagNames(verb.flags, toComplete, scan.given);
  // No verb takes arguments.
  return nothing();
}

/**
 * Flags before the verb (`-n web plan`, as the CLI takes them): once the verb is typed, its words as if it
 * came first; before, the verbs those flags belong to, or the value a flag awaits.
 */
function completeFlagsFirst(spec: CommandLineSpec, before: readonly string[], toComplete: string): Answer {
  for (let at = 1; at < before.length; at++) {
    const verb = spec.verbs.find((v) => v.name === before[at]);
    // Only after whole flags: in `-n plan`, plan is the namespace, as the run reads it.
    if (verb && onlyFlagsOf(verb, before.slice(0, at), false)) {
      return complete(spec, [verb.name, ...before.slice(0, at), ...before.slice(at + 1), toComplete]);
    }
  }
  // Not help: its flags (-v, -h) would narrow the list to them.
  const fitting = spec.verbs.filter(
    (v) => v.name !== "help" && v.flags.length > 0 && onlyFlagsOf(v, before, true) && takesValues(v, before),
  );
  const [first] = fitting;
  if (first === undefined) return nothing(Directive.error);
  const scan = scanFlags(first, before);
  const valuesFor = (flag: FlagSpec, prefix: string) =>
    flagValue(withEveryChoice(flag, fitting), prefix, scan.typed);
  if (scan.awaitingValue) return valuesFor(scan.awaitingValue, toComplete);
  // A value with its flag, as a value after one; the flag may be only some of the verbs' (`-yn=`: apply's).
  const inlines = fitting.map((v) => inlineValue(v.flags, toComplete));
  if (inlines[0] !== undefined) {
    const inline = inlines.find((i) => i);
    return inline ? valuesFor(inline.flag, inline.prefix) : nothing();
  }
  if (!toComplete.startsWith("-")) return verbs(fitting, toComplete);
  // Flags every such verb has: which verb comes is not known yet.
  const shared = first.flags.filter((f) => fitting.every((v) => v.flags.some((g) => g.key === f.key)));
  return flagNames(shared, toComplete, scan.given);
}

/** The flag with the choices it has in any of the verbs (`-o` before the verb: table is cron-status's). */
function withEveryChoice(flag: FlagSpec, verbs: readonly VerbSpec[]): FlagSpec {
  if (!flag.choices) return flag;
  const choices = verbs.flatMap((v) => v.flags.find((f) => f.key === flag.key)?.choices ?? []);
  return { ...flag, choices: [...new Set(choices)] };
}

/**
 * Whether the verb takes the values typed for its flags: `-o name` is not cron-status's, `--dry-run=client`
 * not apply's. A flag's choices are taken in any case here; the run tells `-o WIDE` from `-o wide`.
 */
function takesValues(verb: VerbSpec, words: readonly string[]): boolean {
  const { typed } = scanFlags(verb, words);
  const chosen = verb.flags.every((flag) => {
    const value = typed[flag.key];
    if (typeof value !== "string" || value === "" || !flag.choices) return true;
    return flag.choices.includes(value) || flag.choices.includes(value.toLowerCase());
  });
  return chosen && words.every((w) => !w.startsWith("--dry-run=") || takesDryRun(verb.name, w.slice(10)));
}

/** Whether the words are nothing but the verb's flags (`valueMayFollow`: the last one's value may come). */
function onlyFlagsOf(verb: VerbSpec, words: readonly string[], valueMayFollow: boolean): boolean {
  const lookup = (name: string) => verb.flags.find((f) => f.long === name || f.short === name);
  return onlyFlags(words, lookup, { valueMayFollow });
}

/**
 * A flag written with its value (`--namespace=we`, `-n=we`, as cobra takes both): the flag and the value so
 * far; null when the flag is not one of `flags` or takes no value; undefined when the word is no such form.
 */
function inlineValue(
  flags: readonly FlagSpec[],
  word: string,
): { flag: FlagSpec; prefix: string } | null | undefined {
  const eq = word.indexOf("=");
  if (!word.startsWith("-") || eq < 0) return undefined;
  const prefix = word.slice(eq + 1);
  if (word.startsWith("--")) {
    const flag = flags.find((f) => f.long === word.slice(0, eq));
    return flag?.takesValue ? { flag, prefix } : null;
  }
  // Short flags run together (`-yn=we`), read as the run reads them: the value is the last one's, unless
  // a flag before the `=` took the rest as its value (`-lapp=web` is a selector).
  const read = shortFlags(word.slice(0, eq), (name) => flags.find((f) => f.short === name));
  const last = read?.at(-1);
  return last?.flag.takesValue && last.value === undefined ? { flag: last.flag, prefix } : null;
}

function verbs(all: readonly VerbSpec[], prefix: string): Answer {
  return {
    kind: "candidates",
    candidates: all
      .filter((v) => v.name.startsWith(prefix))
      .map((v) => ({ value: v.name, description: v.description })),
    directive: Directive.noFileComp,
  };
}

/** As cobra: `-` offers long and short names, `--x` long ones; a flag already given only if repeatable. */
function flagNames(flags: readonly FlagSpec[], prefix: string, given: ReadonlySet<FlagSpec>): Candidates {
  const candidates: Candidate[] = [];
  for (const flag of flags) {
    if (given.has(flag) && !flag.repeatable) continue;
    for (const name of [flag.long, flag.short]) {
      if (name?.startsWith(prefix)) candidates.push({ value: name, description: flag.description });
    }
  }
  return { kind: "candidates", candidates, directive: Directive.noFileComp };
}

function flagValue(flag: FlagSpec, prefix: string, typed: TypedFlags): Answer {
  const lookup = flag.long ? lookups[flag.long] : undefined;
  if (lookup) return { kind: "lookup", lookup, prefix, flags: typed };
  if (flag.choices) {
    return {
      kind: "candidates",
      candidates: flag.choices.filter((c) => c.startsWith(prefix)).map((value) => ({ value })),
      directive: Directive.noFileComp,
    };
  }
  return nothing(flag.path ? Directive.default : Directive.noFileComp);
}

function nothing(directive: number = Directive.noFileComp): Answer {
  return { kind: "candidates", candidates: [], directive };
}

interface Scan {
  /** Flags seen, to leave out of the names offered. */
  given: Set<FlagSpec>;
  /** Their values by commander's key, for lookups that must reach the same cluster. */
  typed: TypedFlags;
  /** The last word was a flag whose value is the word being completed. */
  awaitingValue?: FlagSpec;
  /** `--` was given: everything after it is an argument. */
  endOfFlags: boolean;
}

/** Reads the words between the verb and the word being completed, as commander would parse them. */
function scanFlags(verb: VerbSpec, words: readonly string[]): Scan {
  const scan: Scan = { given: new Set(), typed: {}, endOfFlags: false };
  const record = (flag: FlagSpec, value: string | boolean) => {
    scan.given.add(flag);
    const previous = scan.typed[flag.key];
    scan.typed[flag.key] =
      flag.repeatable && typeof value === "string"
        ? [...(Array.isArray(previous) ? previous : []), value]
        : value;
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    const last = i === words.length - 1;
    if (word === "--") {
      scan.endOfFlags = true;
      return scan;
    }
    const level = logLevelAt(words, i);
    if (level) {
      // kubectl's log level, as the run reads it.
      const verbose = verb.flags.find((f) => f.long === "--verbose");
      if (verbose && level.verbose) record(verbose, true);
      i += level.words - 1;
      continue;
    }
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const flag = verb.flags.find((f) => f.long === (eq === -1 ? word : word.slice(0, eq)));
      if (!flag) continue;
      if (!flag.takesValue) {
        // `--flag=false` as kubectl takes it; --no-x is x false.
        const on = eq === -1 || flagBoolean(word.slice(eq + 1)) === true;
        record(flag, flag.long?.startsWith("--no-") ? !on : on);
      } else if (eq !== -1) record(flag, word.slice(eq + 1));
      else if (last) scan.awaitingValue = flag;
      else record(flag, words[++i] ?? "");
    } else if (word.startsWith("-") && word.length > 1) {
      // Short flags as the run reads them: combined (-Ay), carrying their value (-nweb, -yn=web).
      const flags = shortFlags(word, (name) => verb.flags.find((f) => f.short === name)) ?? [];
      for (const { flag, value } of flags) {
        if (!flag.takesValue) record(flag, value === undefined || flagBoolean(value) === true);
        else if (value !== undefined) record(flag, value);
        else if (last) scan.awaitingValue = flag;
        else record(flag, words[++i] ?? "");
      }
    }
  }
  return scan;
}
