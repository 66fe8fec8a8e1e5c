import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { confirm, whyCannotAsk } from "../../../src/adapters/terminal.js";

const stream = (isTTY: boolean) => ({ isTTY }) as unknown as NodeJS.ReadStream & NodeJS.WriteStream;

it("asks only with stdin and stderr both the terminal: not where the question could not be seen", () => {
  expect(whyCannotAsk(stream(true), stream(true))).toBeNull();
  expect(whyCannotAsk(stream(false), stream(true))).toBe("stdin is not a terminal");
  // `apply 2>apply.log` typed at a terminal.
  expect(whyCannotAsk(stream(true), stream(false))).toBe(
    "stderr is not a terminal, so the question could not be seen",
  );
});

describe("the question", () => {
  /** A terminal: stdin a TTY whose raw mode the line editor sets, stderr a TTY showing the question. */
  function terminal() {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let shown = "";
    stderr.on("data", (chunk) => {
      shown += chunk;
    });
    return {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
      type: (keys: string) => stdin.write(keys),
      shown: () => shown,
    };
  }

  it.each([
    ["y\r", true],
    ["yes\r", true],
    ["n\r", false],
    ["\r", false],
  ])("%j answers %s", async (keys, yes) => {
    const tty = terminal();
    const answer = confirm("Restart? [y/N] ", tty.stdin, tty.stderr, new AbortController().signal);
    tty.type(keys);
    expect(await answer).toBe(yes);
  });

  it("Ctrl-Z at it, then fg: the question still takes its answer", async () => {
    const tty = terminal();
    // This test's process goes on where a shell's job would stop.
    const stay = () => {};
    process.on("SIGTSTP", stay);
    try {
      const answer = confirm("Restart? [y/N] ", tty.stdin, tty.stderr, new AbortController().signal);
      tty.type("\x1a");
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.kill(process.pid, "SIGCONT");
      await new Promise((resolve) => setTimeout(resolve, 50));
      tty.type("y\r");
      const late = new Promise((resolve) => setTimeout(() => resolve("no answer read after fg"), 1000));
      expect(await Promise.race([answer, late])).toBe(true);
    } finally {
      process.off("SIGTSTP", stay);
    }
  });

  it("the terminal hanging up (raw mode refused with EIO, the input ended) answers no, with nothing thrown", async () => {
    const tty = terminal();
    const stdin = tty.stdin as unknown as { setRawMode: (mode: boolean) => unknown; end: () => void };
    const refused = (mode: boolean) => {
      if (!mode) throw Object.assign(new Error("setRawMode EIO"), { code: "EIO" });
      return stdin;
    };
    stdin.setRawMode = refused;
    const answer = confirm("Restart? [y/N] ", tty.stdin, tty.stderr, new AbortController().signal);
    stdin.end();
    expect(await answer).toBe(false);
    expect(stdin.setRawMode).toBe(refused);
  });

  it("Ctrl-\\ typed at it (raw mode sends no SIGQUIT) is told as a quit, not taken into the answer", async () => {
    const tty = terminal();
    let raw = false;
    (tty.stdin as unknown as { setRawMode: (mode: boolean) => unknown }).setRawMode = (mode) => {
      raw = mode;
      return tty.stdin;
    };
    const rawAtQuit: boolean[] = [];
    const stop = new AbortController();
    const answer = confirm("Restart? [y/N] ", tty.stdin, tty.stderr, stop.signal, undefined, () => {
      rawAtQuit.push(raw);
      stop.abort();
    });
    expect(raw).toBe(true);
    tty.type("\x1c");
    expect(await answer).toBe(false);
    // The terminal is given back first: the process dies of the SIGQUIT, which restores nothing.
    expect(rawAtQuit).toEqual([false]);
  });

  it("Ctrl-C typed at it (a key in the line editor's raw mode, not a signal) is told as an interrupt", async () => {
    const tty = terminal();
    let interrupted = 0;
    const answer = confirm("Restart? [y/N] ", tty.stdin, tty.stderr, new AbortController().signal, () => {
      interrupted++;
    });
    tty.type("\x03");
    expect(await answer).toBe(false);
    expect(interrupted).toBe(1);
    expect(tty.shown()).toContain("Restart? [y/N] ");
  });
});
