/**
 * How every YAML this tool prints is written: a long value stays on its line, every value is written out
 * (no anchors), and strings are quoted wherever YAML 1.1 would read them as something else (`no`, `on`,
 * `y`, timestamps). kubectl and many scripts read YAML 1.1, where `namespace: no` is a boolean; kubectl's
 * reader (go-yaml v2) also takes `0o17` and `0b-1` for integers, which YAML 1.1 itself does not, so a
 * string that begins like a prefixed number is quoted too (a name such as `0o17` is a valid DNS label).
 */
import YAML, { isScalar } from "yaml";

const options = { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" } as const;
const prefixedNumber = /^[-+]?0[box]/i;

export function toYaml(value: unknown): string {
  const document = new YAML.Document(value, options);
  YAML.visit(document, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === "string" && prefixedNumber.test(node.value)) {
        node.type = "QUOTE_DOUBLE";
      }
    },
  });
  return document.toString(options);
}
