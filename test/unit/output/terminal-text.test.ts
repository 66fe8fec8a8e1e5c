import { describe, expect, it } from "vitest";
import { escapeTerminal, escapeTerminalLines, terminalSafeJson } from "../../../src/output/terminal-text.js";

describe("escapeTerminal", () => {
  it("writes ESC and CR as kubectl's printers.EscapeTerminal does: ^[ and \\r", () => {
    expect(escapeTerminal("a\u001b]0;title\u0007b\u001b[2Kc\rd")).toBe("a^[]0;title^Gb^[[2Kc\\rd");
  });

  it.each([
    ["\n", "\\n"],
    ["\t", "\\t"],
    ["\u0000", "^@"],
    ["\u0007", "^G"],
    ["\u0008", "^H"],
    ["\u001f", "^_"],
    ["\u007f", "^?"],
    ["\u009b", "\\u009b"],
    ["\u009d", "\\u009d"],
    ["\u202e", "\\u202e"],
    ["\u2067", "\\u2067"],
    ["\u200f", "\\u200f"],
    ["\u061c", "\\u061c"],
    ["\u200b", "\\u200b"],
    ["\u200d", "\\u200d"],
    ["\u2060", "\\u2060"],
    ["\ufeff", "\\ufeff"],
    ["\u00ad", "\\u00ad"],
    ["\u{e0041}", "\\u{e0041}"],
    // Format characters a terminal draws as nothing, though not default-ignorable.
    ["\ufff9", "\\ufff9"],
    ["\u{13430}", "\\u{13430}"],
  ])("%j becomes %s: no control character is left, and a line stays one line", (char, shown) => {
    expect(escapeTerminal(`x${char}y`)).toBe(`x${shown}y`);
  });

  it("leaves the Arabic signs drawn around the digits after them (end of ayah, number sign) as written", () => {
    expect(escapeTerminal("\u06dd\u0662\u0665 \u0600\u0661")).toBe("\u06dd\u0662\u0665 \u0600\u0661");
  });

  it("shows a reference with an invisible character apart from the one it looks like", () => {
    const spoof = "docker.io/library/nginx\u200b:latest";
    expect(escapeTerminal(spoof)).not.toBe(escapeTerminal("docker.io/library/nginx:latest"));
    expect(escapeTerminal(spoof)).toBe("docker.io/library/nginx\\u200b:latest");
  });

  it("leaves printable text alone, Unicode included", () => {
    const text = "web:main 0e02c92 → c7ede51 (revision 9f8e7d1, version 1.4.0 — ünïcode, 日本)";
    expect(escapeTerminal(text)).toBe(text);
  });
});

describe("escapeTerminalLines", () => {
  it("keeps the lines of a stack trace or kubectl's output, escaping what is in them", () => {
    expect(escapeTerminalLines("Error: denied \u001b]0;x\u0007\n    at main (bin.js:1:1)\n")).toBe(
      "Error: denied ^[]0;x^G\n    at main (bin.js:1:1)\n",
    );
  });
});

describe("escapeTerminal: line and paragraph separators", () => {
  it("U+2028 and U+2029, where a log viewer may break a row, are \\u escapes", () => {
    expect(escapeTerminal("web\u2028v1.4\u2029")).toBe("web\\u2028v1.4\\u2029");
  });
});

describe("terminalSafeJson", () => {
  it("writes what a terminal would act on or hide as \\u escapes, the same string to a JSON reader", () => {
    const reason = "denied: \u009b2J\u009b31mnothing to see\u202e txt.exe\u007f \u{e0041}";
    const json = terminalSafeJson(JSON.stringify({ reason }));
    expect(json).toBe(
      '{"reason":"denied: \\u009b2J\\u009b31mnothing to see\\u202e txt.exe\\u007f \\udb40\\udc41"}',
    );
    expect(JSON.parse(json)).toEqual({ reason });
  });

  it("leaves JSON with nothing to escape as it is", () => {
    const json = JSON.stringify({ reason: "a\nb\u0007 ünïcödé 漢字" });
    expect(terminalSafeJson(json)).toBe(json);
  });
});
