/**
 * Text with each of some secrets replaced by a mark, in one pass that takes the longest secret first at
 * each place: a secret inside a longer one (a password and the same password with a suffix) can neither
 * leave the longer one's rest showing nor be found again inside a mark already written. Those in
 * `wholeWords` are blanked only where no letter or digit stands beside them: a short one would blank
 * ordinary words' insides.
 */
export function blanked(
  text: string,
  secrets: Iterable<string>,
  mark: string,
  wholeWords: Iterable<string> = [],
): string {
  const words = new Set([...wholeWords].filter((word) => word !== ""));
  const parts = [...new Set([...secrets, ...words])]
    .filter((part) => part !== "")
    .sort((a, b) => b.length - a.length);
  if (parts.length === 0) return text;
  const pattern = (part: string) => {
    const escaped = part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return words.has(part) ? `(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])` : escaped;
  };
  const anyOf = new RegExp(parts.map(pattern).join("|"), "g");
  return text.replace(anyOf, mark);
}
