/** Words of short flags (`-Av`, `-vn=web`) as kubectl's pflag reads them. Pure. */

/** A flag in a word of short flags, and the value the word gives it (none: a boolean, or the next word's). */
export interface ShortFlag<F> {
  name: string;
  flag: F;
  value?: string;
}

/**
 * A word of short flags as pflag reads it: each letter a flag (`-Av`) until one followed by `=` takes the
 * rest of the word as its value (`-vn=web`, `-vA=false`), or a value-taking one takes the rest
 * (`-vnweb`, and kubectl's log level `-Av6`) or, at the end of the word, the next word. Undefined when a
 * letter is not a flag.
 */
export function shortFlags<F extends { takesValue: boolean }>(
  word: string,
  lookup: (flag: string) => F | undefined,
): ShortFlag<F>[] | undefined {
  const flags: ShortFlag<F>[] = [];
  for (let at = 1; at < word.length; at++) {
    const name = `-${word[at]}`;
    const flag = lookup(name);
    if (!flag) return undefined;
    const rest = word.slice(at + 1);
    // As pflag, a lone "=" is no separator: `-n=` is the namespace "=".
    if (rest.length > 1 && rest.startsWith("=")) return [...flags, { name, flag, value: rest.slice(1) }];
    // kubectl's -v takes its level: our --verbose, a boolean, is written -v too.
    if (name === "-v" && /^\d+$/.test(rest)) return [...flags, { name, flag, value: rest }];
    if (!flag.takesValue) {
      flags.push({ name, flag });
      continue;
    }
    return [...flags, { name, flag, ...(rest === "" ? {} : { value: rest }) }];
  }
  return flags;
}
