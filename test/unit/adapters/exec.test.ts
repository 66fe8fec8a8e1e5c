/**
 * The exec wrapper on real processes: which ends it tells apart. A child killed by a signal this tool did
 * not send (a terminal's Ctrl-C reaches the whole process group) is not one its timeout or its run stopped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { createExec } from "../../../src/adapters/exec.js";
import { withoutDocker } from "../../../src/adapters/resolver.js";

const exec = createExec();

/** Whether a process still runs: not gone, and no zombie waiting for an init that may not reap it. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** Whether the process has ended within a second (a signal takes a moment to land). */
async function ends(pid: number): Promise<boolean> {
  for (let tries = 0; tries < 20 && alive(pid); tries++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe("how a child ended", () => {
  it("killed by a signal from elsewhere: killedFromOutside", async () => {
    const result = await exec("sh", ["-c", "kill -TERM $$"]);
    expect(result).toMatchObject({ killedBy: "SIGTERM", interrupted: true, killedFromOutside: true });
  });

  it("ended by its own timeout, or by the run's signal: not from outside", async () => {
    const timedOut = await exec("sh", ["-c", "exec sleep 5"], { timeoutMs: 50 });
    expect(timedOut.interrupted).toBe(true);
    expect(timedOut.killedFromOutside).toBeUndefined();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const cancelled = await exec("sh", ["-c", "exec sleep 5"], { signal: stop.signal });
    expect(cancelled.interrupted).toBe(true);
    expect(cancelled.killedFromOutside).toBeUndefined();
  });

  it("an exit, even a failing one, is no kill", async () => {
    const result = await exec("sh", ["-c", "exit 3"]);
    expect(result).toMatchObject({ exitCode: 3, interrupted: false });
    expect(result.killedFromOutside).toBeUndefined();
  });
});

describe("a child in a process group of its own", () => {
  it("stopping it stops what it started too: a server behind a wrapper script that does not exec it", async () => {
    const stop = new AbortController();
    let server = 0;
    const run = exec("sh", ["-c", "sleep 30 & echo $!; wait"], {
      ownGroup: true,
      signal: stop.signal,
      onStdout: (chunk) => {
        server = Number(String(chunk).trim());
        stop.abort();
      },
    });
    expect((await run).interrupted).toBe(true);
    expect(server).toBeGreaterThan(0);
    expect(await ends(server)).toBe(true);
  });

  it("one exit listener serves every group running at once", async () => {
    const before = process.listenerCount("exit");
    const stop = new AbortController();
    const runs = Array.from({ length: 12 }, () =>
      exec("sh", ["-c", "exec sleep 30"], { ownGroup: true, signal: stop.signal }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(process.listenerCount("exit")).toBe(before + 1);
    stop.abort();
    await Promise.all(runs);
    expect(process.listenerCount("exit")).toBe(before);
  });

  it("what it leaves running when it ends is stopped then", async () => {
    const result = await exec("sh", ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"], { ownGroup: true });
    expect(result.exitCode).toBe(0);
    expect(await ends(Number(result.stdout.trim()))).toBe(true);
  });
});

describe("a call running when this process exits (an error, a second signal)", () => {
  it("is stopped with it, in this process's group too: a deletion does not go on unreported", async () => {
    const exitsMidCall = [
      'import { createExec } from "./src/adapters/exec.ts";',
      'createExec()("sh", ["-c", "echo $$; exec sleep 30"], {',
      "  onStdout: (pid) => { process.stdout.write(String(pid)); process.exit(1); },",
      "});",
    ].join("\n");
    const run = await exec(process.execPath, ["--import", "tsx", "--input-type=module", "-e", exitsMidCall], {
      env: { NODE_NO_WARNINGS: "1" },
    });
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await ends(pid)).toBe(true);
  });
});

describe("a call this tool may stop (a timeout, a signal)", () => {
  // kubectl runs its credential plugin with its own stderr: a plugin that hangs (a device-code login) holds
  // the pipe this tool reads kubectl's stderr from.
  const hangingPlugin = "sleep 8 </dev/null >/dev/null & echo $! >&2; wait";

  // Its timeout, then 2 s for what holds its pipes: a call that waited for the plugin's 8 s would outlast the
  // test's own timeout (5 s).
  it("is bounded by its timeout even when what it started holds its stderr, which is stopped too", async () => {
    const result = await exec("sh", ["-c", hangingPlugin], { timeoutMs: 300 });
    expect(result.interrupted).toBe(true);
    expect(await ends(Number(result.stderr.trim()))).toBe(true);
  });

  it("is stopped by its signal, with what it started", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const result = await exec("sh", ["-c", hangingPlugin], { signal: stop.signal });
    expect(result.interrupted).toBe(true);
    expect(await ends(Number(result.stderr.trim()))).toBe(true);
  });
});

describe("a call this tool may stop, ended on its own", () => {
  it("lets what it started finish writing to its pipes (a wrapper's logger), rather than stop it at once", async () => {
    const result = await exec("sh", ["-c", "(sleep 0.5; echo flushed >&2) & exit 0"], { timeoutMs: 10_000 });
    expect(result).toMatchObject({ exitCode: 0, interrupted: false });
    expect(result.stderr).toBe("flushed\n");
  });
});

describe("a program that is not there", () => {
  it("names the flag that points at it, and the way to do without it when there is one", async () => {
    const hinted = createExec({
      "/nonexistent/docker": { override: "--docker (or DOCKER)", instead: withoutDocker },
      "/nonexistent/kubectl": { override: "--kubectl (or KUBECTL)" },
    });
    await expect(hinted("/nonexistent/docker", ["version"])).rejects.toThrow(
      "/nonexistent/docker: not found; install it, point --docker (or DOCKER) at it, or use --resolver registry, which needs no Docker",
    );
    await expect(hinted("/nonexistent/kubectl", ["version"])).rejects.toThrow(
      "/nonexistent/kubectl: not found; install it or point --kubectl (or KUBECTL) at it",
    );
  });

  it("that cannot be started for another reason is said so, not taken for a run that exited -1", async () => {
    // A file where a directory of the path should be: spawn fails with ENOTDIR.
    const file = join(mkdtempSync(join(tmpdir(), "kau-unit-exec-")), "a-file");
    onTestFinished(() => rmSync(dirname(file), { recursive: true, force: true }));
    writeFileSync(file, "");
    const notStartable = join(file, "kubectl");
    const hinted = createExec({ [notStartable]: { override: "--kubectl (or KUBECTL)" } });
    await expect(hinted(notStartable, ["version"])).rejects.toThrow(
      `${notStartable}: cannot be run (ENOTDIR); install it or point --kubectl (or KUBECTL) at it`,
    );
  });
});
