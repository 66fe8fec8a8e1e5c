import { describe, expect, it } from "vitest";
import { shouldColor, streamColors } from "../../../src/output/color.js";

describe("shouldColor", () => {
  it.each([
    ["auto", true, {}, true],
    ["auto", false, {}, false],
    ["auto", true, { NO_COLOR: "1" }, false],
    ["auto", true, { NO_COLOR: "" }, true],
    ["auto", true, { TERM: "dumb" }, false],
    ["auto", true, { FORCE_COLOR: "0" }, false],
    ["auto", true, { FORCE_COLOR: "false" }, false],
    ["auto", false, { FORCE_COLOR: "1" }, true],
    ["auto", false, { FORCE_COLOR: "true", TERM: "dumb" }, true],
    ["auto", false, { FORCE_COLOR: "" }, false],
    ["auto", false, { FORCE_COLOR: "1", NO_COLOR: "1" }, false],
    ["never", true, { FORCE_COLOR: "1" }, false],
    ["always", false, { NO_COLOR: "1" }, true],
    ["never", true, {}, false],
  ] as const)("%s tty=%s %j → %s", (mode, tty, env, expected) => {
    expect(shouldColor(mode, tty, env)).toBe(expected);
  });
});

describe("streamColors: each stream by its own terminal", () => {
  const red = (colors: { stdout: { red(s: string): string }; stderr: { red(s: string): string } }) => ({
    stdout: colors.stdout.red("x") !== "x",
    stderr: colors.stderr.red("x") !== "x",
  });

  it.each<[string, boolean, boolean]>([
    ["stdout piped, stderr a terminal (plan | less)", false, true],
    ["stdout a terminal, stderr redirected (2>log)", true, false],
  ])("%s", (_, stdoutTTY, stderrTTY) => {
    const io = { stdout: { isTTY: stdoutTTY }, stderr: { isTTY: stderrTTY }, env: {} };
    expect(red(streamColors("auto", io))).toEqual({ stdout: stdoutTTY, stderr: stderrTTY });
  });

  it("NO_COLOR and --color apply to both", () => {
    const io = { stdout: { isTTY: true }, stderr: { isTTY: true }, env: { NO_COLOR: "1" } };
    expect(red(streamColors("auto", io))).toEqual({ stdout: false, stderr: false });
    expect(red(streamColors("always", { ...io, stdout: {}, stderr: {} }))).toEqual({
      stdout: true,
      stderr: true,
    });
  });
});
