/**
 * Text the user does not control (image labels, image references in other tenants' pod specs, registry and
 * cluster messages), made safe for a terminal as kubectl makes it (printers.EscapeTerminal): ESC becomes `^[`
 * and CR `\r`, so nothing it holds can retitle the terminal, move the cursor or write over a line. Beyond
 * kubectl, LF and tab become `\n` and `\t` (a table row or a report line stays one line), every other C0
 * control and DEL its caret form (`^G`, `^?`), and a C1 control (8-bit CSI, OSC) its `\u` form. So does
 * every default-ignorable code point, which a terminal draws as nothing: a bidirectional control (U+202E
 * and kin) could show a label or message in another order than it is written, and a zero-width space,
 * joiner or tag character could make two different image references look the same. So does a line or
 * paragraph separator (U+2028, U+2029), where a log viewer may break the line, and the format characters a
 * terminal draws as nothing that are not default-ignorable: interlinear annotation marks and Egyptian format
 * controls (not the Arabic number signs, which are drawn).
 * Human-readable output only: a JSON or YAML document escapes its strings itself.
 */
const control = /[\p{Cc}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}\uFFF9-\uFFFB\u{13430}-\u{1343F}]/u;
const controls = new RegExp(control.source, "gu");
const named: Record<string, string> = { "\r": "\\r", "\n": "\\n", "\t": "\\t" };

export function escapeTerminal(text: string): string {
  // Most text has nothing to escape: one test, no copy (a table calls this for every cell).
  if (!control.test(text)) return text;
  return text.replace(controls, visible);
}

function visible(char: string): string {
  const code = char.codePointAt(0)!;
  if (named[char] !== undefined) return named[char];
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return "^?";
  const hex = code.toString(16);
  return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, "0")}`;
}

/**
 * JSON text for a terminal (a line such as the RunSummary, printed beside the report): what JSON.stringify
 * leaves raw of the above (C1 controls, default-ignorable code points) written as `\u` escapes, which a JSON
 * reader reads back as the same string.
 */
export function terminalSafeJson(json: string): string {
  if (!control.test(json)) return json;
  return json.replace(controls, (char) => {
    if (char.length === 1 && char.charCodeAt(0) < 0x20) return char; // never raw: JSON.stringify escaped it
    return [...char]
      .flatMap((c) => Array.from({ length: c.length }, (_, i) => c.charCodeAt(i)))
      .map((unit) => `\\u${unit.toString(16).padStart(4, "0")}`)
      .join("");
  });
}

/** The same for text whose lines are its shape (a stack trace, kubectl's own output): each line escaped. */
export function escapeTerminalLines(text: string): string {
  return text.split("\n").map(escapeTerminal).join("\n");
}
