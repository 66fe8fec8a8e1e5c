/** At most `max` UTF-16 units, `…` marking a cut, which falls between characters (an emoji is not split). */
export function clipped(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  if (/[\uD800-\uDBFF]/.test(text[cut - 1] ?? "")) cut--;
  return `${text.slice(0, cut)}…`;
}
