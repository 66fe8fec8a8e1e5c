/**
 * Text with each of some secrets replaced by a mark, in one pass that takes the longest secret first at
 * each place: a secret inside a longer one (a password and the same password with a suffix) can neither
 * leave the longer one's rest showing nor be found again inside a mark already written.
 */
export function blanked(text: string, secrets: Iterable<string>, mark: string): string {
  const parts = [...new Set(secrets)].filter((part) => part !== "").sort((a, b) => b.length - a.length);
  if (parts.length === 0) return text;
  const anyOf = new RegExp(parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  return text.replace(anyOf, mark);
}
