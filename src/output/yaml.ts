/**
 * How every YAML this tool prints is written: a long value stays on its line, every value is written out
 * (no anchors), and strings are quoted wherever YAML 1.1 would read them as something else (`no`, `on`,
 * `y`, timestamps). kubectl and many scripts read YAML 1.1, where `namespace: no` is a boolean.
 */
import YAML from "yaml";

const options = { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" } as const;

export function toYaml(value: unknown): string {
  return YAML.stringify(value, options);
}
