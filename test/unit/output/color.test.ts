import { describe, expect, it } from "vitest";
import { shouldColor } from "../../../src/output/color.js";

describe("shouldColor", () => {
  it.each([
    ["auto", true, {}, true],
    ["auto", false, {}, false],
    ["auto", true, { NO_COLOR: "1" }, false],
    ["auto", true, { NO_COLOR: "" }, true],
    ["auto", true, { TERM: "dumb" }, false],
    ["always", false, { NO_COLOR: "1" }, true],
    ["never", true, {}, false],
  ] as const)("%s tty=%s %j → %s", (mode, tty, env, expected) => {
    expect(shouldColor(mode, tty, env)).toBe(expected);
  });
});
