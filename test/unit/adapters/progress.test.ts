/**
 * Whether the spinner draws: on a terminal stderr that can take cursor control, and not where ora itself
 * would stay still (TERM=dumb, $CI), although progress.ts tells ora it is enabled.
 */
import { Writable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { createProgress } from "../../../src/adapters/progress.js";

/** A stderr that keeps what is written to it: a terminal `columns` wide (0: one that reports no width). */
function stderrOf(terminal: { columns: number } | null) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  if (terminal) {
    const { columns } = terminal;
    Object.assign(stream, { isTTY: true, columns, rows: 40, clearLine() {}, cursorTo() {}, moveCursor() {} });
  }
  return { stream, text: () => chunks.join("") };
}

// Loaded once here, ora is ready within a turn of the event loop, and it draws its first frame on start.
beforeAll(async () => {
  await import("ora");
});

/** Shows progress until ora, already loaded, has had its turn to start; what reached stderr. */
async function shown(env: Record<string, string>, stderr = stderrOf({ columns: 100 })): Promise<string> {
  const progress = createProgress(true, stderr.stream, env, false);
  progress.update("Listing pods");
  await new Promise((done) => setImmediate(done));
  progress.stop();
  return stderr.text();
}

const xterm = { TERM: "xterm-256color" };

describe("the spinner", () => {
  it("draws on a terminal that can take it", async () => {
    expect(await shown(xterm)).toMatch(/\u001b\[.*Listing pods/s);
  });

  it.each([
    ["TERM=dumb", { TERM: "dumb" }],
    ["$CI set", { ...xterm, CI: "true" }],
    ["$CI set and empty", { ...xterm, CI: "" }],
  ])("draws nothing with %s", async (_, env) => {
    expect(await shown(env)).toBe("");
  });

  it("draws nothing where stderr is no terminal, or one that reports no width", async () => {
    expect(await shown(xterm, stderrOf(null))).toBe("");
    expect(await shown(xterm, stderrOf({ columns: 0 }))).toBe("");
  });
});
