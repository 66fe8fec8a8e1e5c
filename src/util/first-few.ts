/** `a, b, c and 2 more`: the first `shown` of a list, then how many are left unnamed. */
export function firstFew(items: readonly string[], shown = 3): string {
  const more = items.length - shown;
  return `${items.slice(0, shown).join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}
