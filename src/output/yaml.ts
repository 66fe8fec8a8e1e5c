/**
 * How every YAML this tool prints is written: a long value stays on its line, every value is written out
 * (no anchors), and strings are quoted wherever YAML 1.1 would read them as something else (`no`, `on`,
 * `y`, timestamps). kubectl and many scripts read YAML 1.1, where `namespace: no` is a boolean; kubectl's
 * reader (go-yaml v2) also takes `0o17` and `0b-1` for integers, which YAML 1.1 itself does not, so a
 * string that begins like a prefixed number is quoted too (a name such as `0o17` is a valid DNS label), as
 * is one go-yaml reads as a number once it drops every `_` (`0_x1F`, `1e_5`), and `=` and `<<`, YAML 1.1's
 * value and merge keys, which PyYAML's safe_load refuses (losing the whole document).
 */
import YAML, { isScalar, type Tags } from "yaml";

const options = {
  lineWidth: 0,
  aliasDuplicateObjects: false,
  version: "1.1",
  // Written out, a merge key would be `<<` whatever the quoting asked: this tool writes none.
  customTags: (tags: Tags) => tags.filter((tag) => typeof tag === "string" || tag.tag !== mergeTag),
} as const;
const mergeTag = "tag:yaml.org,2002:merge";
const prefixedNumber = /^[-+]?0[box]/i;
/** What Go's strconv takes for a number (after go-yaml drops the underscores). */
const goNumber = /^[-+]?(?:0[box][0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i;

/**
 * Characters YAML readers refuse raw (DEL, C1 controls, U+FFFE/U+FFFF: the whole document is lost), read as
 * line breaks (NEL, U+2028, U+2029), or a plain scalar cannot hold (a tab): such a string is double-quoted,
 * and these escaped within it. An image label or a registry's message may hold any of them.
 */
const unprintable = /[\t\x7f-\x9f\u2028\u2029\ufffe\uffff]/;
const unprintableAll = new RegExp(unprintable.source, "g");
const namedEscapes: Record<string, string> = { "\t": "\\t", "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P" };

/**
 * A UTF-16 half without its other half (JSON.parse makes one of a `\ud83d` escape): no YAML escape names it,
 * and go-yaml refuses the whole document. Written as U+FFFD, as Go's encoders write it.
 */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escaped(character: string): string {
  const code = character.charCodeAt(0);
  return namedEscapes[character] ?? (code < 0x100 ? `\\x${code.toString(16)}` : `\\u${code.toString(16)}`);
}

/** A string the writer would not write so that it reads back the same: quoted. */
function mustQuote(value: string): boolean {
  // Lines of spaces alone go in a block scalar without the indentation they need: "  \n" reads "\n".
  const blankLines = value.includes("\n") && value.trim() === "" && /[ \t]/.test(value);
  return blankLines || unprintable.test(value) || readAsOther(value);
}

function readAsOther(value: string): boolean {
  if (value === "=" || value === "<<" || prefixedNumber.test(value)) return true;
  return value.includes("_") && goNumber.test(value.replaceAll("_", ""));
}

export function toYaml(value: unknown): string {
  const document = new YAML.Document(value, options);
  YAML.visit(document, {
    Scalar(_key, node) {
      if (!isScalar(node) || typeof node.value !== "string") return;
      const value = node.value.replace(loneSurrogate, "\ufffd");
      node.value = value;
      if (mustQuote(value)) node.type = "QUOTE_DOUBLE";
    },
  });
  // Only double-quoted strings hold them now, where an escape reads back as the character.
  return document.toString(options).replace(unprintableAll, escaped);
}
