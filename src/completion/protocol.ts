/**
 * cobra's `__complete` answer, which kubectl reads from a plugin's completion executable: one candidate a
 * line (a tab, then its description), then `:<directive>` as the last line.
 */
import type { Candidate } from "./complete.js";

export function formatAnswer(candidates: readonly Candidate[], directive: number): string {
  const lines = candidates.map(({ value, description }) =>
    description ? `${value}\t${description}` : value,
  );
  return `${[...lines, `:${directive}`].join("\n")}\n`;
}
