/** A warning on stderr, as kubectl writes one: `Warning: …`, the word yellow where colour is on. */
import type { ChalkInstance } from "chalk";
import { escapeTerminal } from "./terminal-text.js";

/** The line for `text`, which may quote the cluster, a registry or a webhook's answer: escaped. */
export function warningLine(color: ChalkInstance, text: string): string {
  return `${color.yellow("Warning:")} ${escapeTerminal(text)}\n`;
}
