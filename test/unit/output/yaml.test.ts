/**
 * toYaml: strings that a YAML reader would take for something else are quoted, so kubectl (go-yaml), yq and
 * PyYAML read back exactly what was written.
 */
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { toYaml } from "../../../src/output/yaml.js";

describe("strings other readers would take for something else", () => {
  it.each([
    // YAML 1.1's value and merge keys: PyYAML's safe_load refuses the whole document over them.
    "=",
    "<<",
    // go-yaml drops every _ before reading a number.
    "0_x1F",
    "1e_5",
    "0_b1",
    "0_o17",
    "1_0.5",
    // Prefixed numbers go-yaml takes and YAML 1.1 does not.
    "0o17",
    "0b-1",
  ])("%j is quoted", (value) => {
    const written = toYaml({ v: value });
    expect(written).toBe(`v: "${value}"\n`);
    expect(YAML.parse(written, { version: "1.1" })).toEqual({ v: value });
  });

  it.each(["web_api", "a_1", "_", "v1_2_beta", "1.2.3_rc"])(
    "%j, no number without its _, stays plain",
    (value) => {
      expect(toYaml({ v: value })).toBe(`v: ${value}\n`);
    },
  );
});
