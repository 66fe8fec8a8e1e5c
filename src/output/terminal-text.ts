/**
 * Text the user does not control (image labels, image references in other tenants' pod specs, registry and
 * cluster messages), made safe for a terminal as kubectl makes it (printers.EscapeTerminal): ESC becomes `^[`
 * and CR `\r`, so nothing it holds can retitle the terminal, move the cursor or write over a line. Beyond
 * kubectl, LF and tab become `\n` and `\t` (a table row or a report line stays one line), every other C0
 * control and DEL its caret form (`^G`, `^?`), and a C1 control (8-bit CSI, OSC) its `\u` form; so does
 * a bidirectional control (U+202E and kin), with which a terminal that reorders right-to-left text would
 * show a label or message in another order than it is written.
 * Human-readable output only: a JSON or YAML document escapes its strings itself.
 */
const control = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const controls = new RegExp(control.source, "g");
const named: Record<string, string> = { "\r": "\\r", "\n": "\\n", "\t": "\\t" };

export function escapeTerminal(text: string): string {
  // Most text has nothing to escape: one test, no copy (a table calls this for every cell).
  if (!control.test(text)) return text;
  return text.replace(controls, visible);
}

function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (named[char] !== undefined) return named[char];
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return "^?";
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** The same for text whose lines are its shape (a stack trace, kubectl's own output): each line escaped. */
export function escapeTerminalLines(text: string): string {
  return text.split("\n").map(escapeTerminal).join("\n");
}
