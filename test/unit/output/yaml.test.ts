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

describe("characters readers refuse, or read as something else, raw (an image label may hold any)", () => {
  it.each([
    // Refused raw by go-yaml and PyYAML: the whole document would be lost.
    ["Web\u009b31mApp", "Web\\x9b31mApp"],
    ["Web\u007fApp", "Web\\x7fApp"],
    ["Web\ufffeApp", "Web\\ufffeApp"],
    // Line breaks to YAML, which would split or change the string.
    ["Web\u0085App", "Web\\NApp"],
    ["Web\u2028App", "Web\\LApp"],
    ["Web\u2029App", "Web\\PApp"],
    // A plain scalar cannot hold a tab (PyYAML).
    ["Web\tApp", "Web\\tApp"],
    // Lines of spaces alone would lose their spaces in a block scalar.
    ["  \n", " \\ \\n"],
    ["  \n  \n", " \\ \\n \\ \\n"],
  ])("%j is double-quoted, escaped", (value, inQuotes) => {
    const written = toYaml({ v: value });
    expect(written).toBe(`v: "${inQuotes}"\n`);
    expect(YAML.parse(written, { version: "1.1" })).toEqual({ v: value });
  });

  it("a key is written the same way", () => {
    expect(toYaml({ "a\u2028b": 1 })).toBe('"a\\Lb": 1\n');
  });

  it("half a UTF-16 pair (JSON.parse makes one of a `\\ud83d` escape) is U+FFFD: no YAML escape names it", () => {
    expect(toYaml({ v: "1.4.0\ud83d", "k\udc00": "ok", pair: "\ud83d\ude00" })).toBe(
      "v: 1.4.0\ufffd\nk\ufffd: ok\npair: \ud83d\ude00\n",
    );
  });
});
