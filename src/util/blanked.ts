/**
 * Text with each of some secrets replaced by a mark, the longest first at each place: a secret inside a
 * longer one (a password and the same password with a suffix) can neither leave the longer one's rest
 * showing nor be found again inside a mark already written. Those in `wholeWords` are blanked only where no
 * letter or digit stands beside them (a short one would blank ordinary words' insides), and only outside
 * the others: one that starts earlier must not cut a longer secret in two and leave its rest showing.
 */
export function blanked(
  text: string,
  secrets: Iterable<string>,
  mark: string,
  wholeWords: Iterable<string> = [],
): string {
  const spans = matches(
    text,
    anyOf(secrets, (part) => part),
  );
  const taken = (start: number, end: number) => spans.some(([s, e]) => start < e && s < end);
  const words = matches(
    text,
    anyOf(wholeWords, (part) => `(?<![A-Za-z0-9])${part}(?![A-Za-z0-9])`),
  );
  const all = [...spans, ...words.filter(([start, end]) => !taken(start, end))].sort((a, b) => a[0] - b[0]);
  if (all.length === 0) return text;
  let out = "";
  let at = 0;
  for (const [start, end] of all) {
    out += text.slice(at, start) + mark;
    at = end;
  }
  return out + text.slice(at);
}

/** One pattern of the parts, longest first, each escaped and then shaped; null when there is none. */
function anyOf(parts: Iterable<string>, shape: (escaped: string) => string): RegExp | null {
  const sorted = [...new Set(parts)].filter((part) => part !== "").sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return null;
  return new RegExp(sorted.map((part) => shape(part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("|"), "g");
}

/** Where the pattern matches, as [start, end) spans that do not overlap. */
function matches(text: string, pattern: RegExp | null): [number, number][] {
  if (!pattern) return [];
  return [...text.matchAll(pattern)].map((m) => [m.index, m.index + m[0].length]);
}
