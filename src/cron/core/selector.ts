/**
 * Label selectors as kubectl's `-l` reads them (apimachinery labels.Parse), checked at install time: the
 * CronJob would otherwise carry a bad selector and fail on every run. Pure.
 */
import { isObjectName } from "../../core/object-name.js";
import type { Checked } from "../../util/checked.js";

type Token =
  | { kind: "id"; text: string }
  | { kind: "op"; text: "!" | "!=" | "=" | "==" | ">" | "<" | "(" | ")" | "," }
  | { kind: "end" };

const symbols = ["!=", "==", "!", "=", ">", "<", "(", ")", ","] as const;
/** As apimachinery's lexer: only these separate words; any other space is part of a word (and invalid). */
const space = /[ \t\r\n]/;
const wordEnd = /[ \t\r\n=!(),<>]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (space.test(text[i]!)) {
      i++;
      continue;
    }
    const symbol = symbols.find((s) => text.startsWith(s, i));
    if (symbol) {
      tokens.push({ kind: "op", text: symbol });
      i += symbol.length;
      continue;
    }
    let j = i;
    while (j < text.length && !wordEnd.test(text[j]!)) j++;
    tokens.push({ kind: "id", text: text.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: "end" });
  return tokens;
}

const nameRe = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** A label key: optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
function labelKeyProblem(key: string): string | null {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && !isObjectName(prefix)) {
    return `label key "${key}" has an invalid prefix "${prefix}" (want a lowercase DNS name)`;
  }
  if (name.length === 0 || name.length > 63 || !nameRe.test(name)) {
    return `"${key}" is not a valid label key (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`;
  }
  return null;
}

const maxInt64 = 2n ** 63n - 1n;

/** A label value: empty, or at most 63 characters of the name alphabet. */
function labelValueProblem(value: string): string | null {
  if (value === "") return null;
  if (value.length > 63 || !nameRe.test(value)) {
    return `"${value}" is not a valid label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`;
  }
  return null;
}

/** Checks a selector; the value is the selector as given (kubectl reads it again in the job). */
export function checkSelector(input: string): Checked<string> {
  if (input.trim() === "")
    return { ok: false, message: "the selector is empty; leave -l out to select every pod" };
  const tokens = tokenize(input);
  let i = 0;
  const next = () => tokens[i++]!;
  const peek = () => tokens[i]!;
  const show = (t: Token) => (t.kind === "end" ? "the end" : `"${t.text}"`);
  const fail = (message: string): Checked<string> => ({ ok: false, message });

  for (;;) {
    let token = next();
    const negated = token.kind === "op" && token.text === "!";
    if (negated) token = next();
    if (token.kind !== "id") return fail(`expected a label key, found ${show(token)}`);
    const keyProblem = labelKeyProblem(token.text);
    if (keyProblem) return fail(keyProblem);
    const key = token.text;

    const op = peek();
    if (negated || op.kind === "end" || (op.kind === "op" && op.text === ",")) {
      if (negated && !(op.kind === "end" || (op.kind === "op" && op.text === ","))) {
        return fail(`"!${key}" takes no operator or value, found ${show(op)}`);
      }
    } else if (op.kind === "id" && (op.text === "in" || op.text === "notin")) {
      next();
      const open = next();
      if (!(open.kind === "op" && open.text === "("))
        return fail(`"${op.text}" needs a "(", found ${show(open)}`);
      // As apimachinery's parser: an empty place between "(", "," and ")" is the empty value, so `in ()`
      // and `in (a,)` are valid; a value is followed by "," or ")" (`in (prod staging)` is refused).
      for (;;) {
        const t = next();
        if (t.kind === "op" && t.text === ")") break;
        if (t.kind === "op" && t.text === ",") continue;
        if (t.kind !== "id") return fail(`unclosed "(" after "${key} ${op.text}"`);
        const valueProblem = labelValueProblem(t.text);
        if (valueProblem) return fail(valueProblem);
        const after = peek();
        if (after.kind === "end") return fail(`unclosed "(" after "${key} ${op.text}"`);
        if (!(after.kind === "op" && (after.text === "," || after.text === ")"))) {
          return fail(`found ${show(after)} after "${t.text}", expected "," or ")"`);
        }
      }
    } else if (op.kind === "op" && ["=", "==", "!="].includes(op.text)) {
      next();
      const t = peek();
      if (t.kind === "id") {
        next();
        const valueProblem = labelValueProblem(t.text);
        if (valueProblem) return fail(valueProblem);
      } else if (!(t.kind === "end" || (t.kind === "op" && t.text === ","))) {
        return fail(`expected a value after "${key}${op.text}", found ${show(t)}`);
      }
    } else if (op.kind === "op" && (op.text === ">" || op.text === "<")) {
      next();
      const t = next();
      // A 64-bit integer that is also a label value: so no sign, and at most 63 characters (leading zeros).
      if (t.kind !== "id" || !/^\d+$/.test(t.text) || BigInt(t.text) > maxInt64) {
        return fail(`"${key}${op.text}" needs a whole number from 0 to 2^63-1, found ${show(t)}`);
      }
      const valueProblem = labelValueProblem(t.text);
      if (valueProblem) return fail(valueProblem);
    } else {
      return fail(`after "${key}" expected =, ==, !=, in, notin, > or <, found ${show(op)}`);
    }

    const sep = next();
    if (sep.kind === "end") return { ok: true, value: input.trim() };
    if (!(sep.kind === "op" && sep.text === ",")) return fail(`expected "," or the end, found ${show(sep)}`);
  }
}
