/**
 * exec under a terminal (`script` gives the process one, as a user's shell does): a call it may stop stays
 * in the terminal's session, so a credential plugin can prompt on /dev/tty (aws eks get-token's MFA code)
 * and Ctrl-C reaches it. Without a terminal such a call runs in a group of its own (exec.test.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "kau-unit-tty-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `body` (after `const exec = createExec();`) on a terminal of its own, as a user's shell would, and
 * returns what it printed as `[…]` JSON; `script` is stopped after 30 s.
 */
function onTerminal(name: string, body: string): unknown {
  const harness = join(dir, `${name}.mts`);
  const exec = JSON.stringify(resolve("src/adapters/exec.ts"));
  writeFileSync(harness, `import { createExec } from ${exec};\nconst exec = createExec();\n${body}\n`);
  const command = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(harness)}`;
  const ran = spawnSync("script", ["-qec", command, "/dev/null"], { encoding: "utf8", timeout: 30_000 });
  const line = ran.stdout.split(/\r?\n/).find((text) => text.startsWith("["));
  expect(line, ran.stdout + ran.stderr).toBeDefined();
  return JSON.parse(line!);
}

describe("exec under a terminal", () => {
  it("a call with a timeout or a signal keeps the terminal for what it runs", () => {
    const answer = onTerminal(
      "tty",
      `const tty = "(: </dev/tty) 2>/dev/null && echo tty-ok || echo no-tty";
const timed = await exec("sh", ["-c", tty], { timeoutMs: 5000 });
const signalled = await exec("sh", ["-c", tty], { signal: new AbortController().signal });
console.log(JSON.stringify([timed.stdout.trim(), signalled.stdout.trim()]));`,
    );
    expect(answer).toEqual(["tty-ok", "tty-ok"]);
  });

  it("a call is not held by what its program started that holds its pipes, ended or stopped", () => {
    // A helper that hangs, given the program's stderr (as docker gives its credential helper its own). Held,
    // the calls would take 60 s: `script` is stopped at 30 s, with no line.
    const [timed, signalled, ended, ms] = onTerminal(
      "held",
      `const hung = "sleep 20 & sleep 30";
const started = Date.now();
const timed = await exec("sh", ["-c", hung], { timeoutMs: 500 });
const abort = new AbortController();
setTimeout(() => abort.abort(), 500);
const signalled = await exec("sh", ["-c", hung], { signal: abort.signal });
const ended = await exec("sh", ["-c", "echo out; sleep 20 & exit 0"], { timeoutMs: 1000 });
const answer = [ended.interrupted, ended.exitCode, ended.stdout];
console.log(JSON.stringify([timed.interrupted, signalled.interrupted, answer, Date.now() - started]));`,
    ) as [boolean, boolean, unknown, number];
    expect([timed, signalled]).toEqual([true, true]);
    // Ended on its own, its answer whole, before the timeout that came while the pipes were held.
    expect(ended).toEqual([false, 0, "out\n"]);
    // Each call: its end or stop, then 2 s for what holds its pipes; not the 20 s they would be held.
    expect(ms).toBeLessThan(15_000);
  }, 40_000);
});
