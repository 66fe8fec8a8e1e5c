/**
 * A credential plugin's device-code login prints where to sign in on kubectl's stderr and waits: the lines a
 * still-running kubectl's stderr says before going quiet reach the user; kubectl's own lines, and what a
 * call prints just before it ends, stay in its captured stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createExec } from "../../../src/adapters/exec.js";
import { relayingWaitingMessages } from "../../../src/adapters/waiting-messages.js";
import { runMain } from "../../support/cli.js";

const signIn =
  "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code F7XK2PQ9M.";

async function run(script: string) {
  const relayed: string[] = [];
  const exec = relayingWaitingMessages(createExec(), (line) => relayed.push(line), 100);
  const result = await exec("sh", ["-c", script]);
  return { relayed, result };
}

describe("what a kubectl's stderr says while it waits", () => {
  it("a line followed by quiet, the kubectl still running (waiting for the sign-in), is relayed once, and kept", async () => {
    const { relayed, result } = await run(`echo '${signIn}' >&2; sleep 0.5; echo '{}'`);
    expect(relayed).toEqual([signIn]);
    expect(result).toMatchObject({ exitCode: 0, stdout: "{}\n", stderr: `${signIn}\n` });
  });

  it("what a call prints just before it ends is not relayed: its error is made of it", async () => {
    const { relayed, result } = await run(`echo 'Error: failed to get token: expired' >&2; exit 1`);
    expect(relayed).toEqual([]);
    expect(result.stderr).toBe("Error: failed to get token: expired\n");
  });

  it("kubectl's own lines (errors, the server's warnings, klog) are never relayed, however long it runs", async () => {
    const own = [
      "Warning: would violate PodSecurity",
      "E1205 10:00:00.000000    1 proxy_server.go:147] Error while proxying request: context canceled",
      "Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout",
    ];
    const { relayed } = await run(`${own.map((l) => `echo '${l}' >&2`).join("; ")}; sleep 0.4`);
    expect(relayed).toEqual([]);
  });
});

describe("plan, its kubectl waiting for a device-code sign-in", () => {
  it("shows the sign-in instructions on stderr while it waits, then plans as usual", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-device-code-"));
    const kubectl = join(dir, "kubectl");
    // The list waits for the sign-in (kubectl runs the credential plugin first), then answers.
    writeFileSync(
      kubectl,
      `#!/bin/sh
case "$*" in
  *"get --raw"*) echo '${signIn}' >&2; sleep 1.5; echo '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}' ;;
esac
`,
      { mode: 0o755 },
    );
    try {
      const result = await runMain(["plan", "-n", "shop", "--kubectl", kubectl, "--resolver", "registry"], {
        env: { HOME: dir },
      });
      expect(result).toMatchObject({ code: 0, stderr: `${signIn}\nNo resources found in shop namespace.\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("what a plugin draws while it waits", () => {
  it("a spinner after the sign-in line (\\r redraws, no line end) does not hold the sign-in line back", async () => {
    const spin = Array.from({ length: 8 }, (_, i) => `printf '\\r${"|/-\\\\"[i % 4]}' >&2; sleep 0.05`).join(
      "; ",
    );
    // The spinner turns until the kubectl ends: never a quiet second after the line.
    const { relayed } = await run(`echo '${signIn}' >&2; ${spin}; echo '{}'`);
    expect(relayed[0]).toBe(signIn);
  });

  it("a line ended by \\r\\n, or redrawn with \\r, is relayed as it shows, without a \\r", async () => {
    const { relayed } = await run(
      `printf 'Open the page\\r\\n' >&2; printf 'Waiting 1/3' >&2; sleep 0.3; printf '\\rWaiting 2/3' >&2; sleep 0.3; printf '\\n' >&2; sleep 0.3`,
    );
    expect(relayed).toEqual(["Open the page", "Waiting 1/3"]);
  });

  it("a line that waits and gains a dot per poll is relayed once, not once per dot", async () => {
    const { relayed } = await run(
      `printf 'Waiting for the device' >&2; sleep 0.3; printf '.' >&2; sleep 0.3; printf '.' >&2; sleep 0.3; printf '\\n' >&2; sleep 0.3`,
    );
    expect(relayed).toEqual(["Waiting for the device"]);
  });
});

describe("a prompt that waits on its own line", () => {
  it("is relayed once quiet, and the rest of its line later, once", async () => {
    const { relayed } = await run(
      `printf 'Enter the code: ' >&2; sleep 0.4; printf 'F7XK\\n' >&2; sleep 0.3; echo '{}'`,
    );
    expect(relayed).toEqual(["Enter the code: ", "F7XK"]);
  });
});

/**
 * What is relayed of a kubectl that writes the given stderr chunks at the given times (ms), then ends
 * at `endAt`.
 */
async function relayed(chunks: [number, string][], endAt: number) {
  const out: string[] = [];
  const fake = async (
    _f: string,
    _a: readonly string[],
    options: { onStderr?: (c: string) => void } = {},
  ) => {
    for (const [at, chunk] of chunks) setTimeout(() => options.onStderr?.(chunk), at);
    await new Promise((r) => setTimeout(r, endAt));
    return { exitCode: 0, stdout: "{}", stderr: chunks.map((c) => c[1]).join("") };
  };
  const exec = relayingWaitingMessages(fake as never, (line) => out.push(line), 1000);
  const p = exec("kubectl", []);
  await vi.advanceTimersByTimeAsync(endAt + 1);
  await p;
  return out;
}

describe("lines redrawn while a kubectl waits (fake timers)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("a counter redrawn with \\r from 9s to 10s, then ended: relays no fragment of it", async () => {
    const out = await relayed(
      [
        [0, "Waiting for sign-in 9s"],
        [1500, "\rWaiting for sign-in 10s\n"],
      ],
      5000,
    );
    expect(out).toEqual(["Waiting for sign-in 9s"]);
  });

  it("a status line redrawn into the sign-in instructions, after it was relayed: the instructions are shown while it waits", async () => {
    const signIn = "Open https://microsoft.com/devicelogin and enter the code F7XK2PQ9M";
    const out = await relayed(
      [
        [0, "Starting device-code login..."],
        [1500, `\r${signIn}`],
      ],
      60_000,
    );
    expect(out).toContain(signIn);
  });

  it("a spinner (\\r redraws) before the sign-in line on the same line: the sign-in is shown while it waits", async () => {
    const signIn = "To sign in, open https://microsoft.com/devicelogin and enter the code F7XK2PQ9M.";
    const spin: [number, string][] = Array.from({ length: 30 }, (_, i) => [i * 100, `\r${"|/-\\"[i % 4]}`]);
    const out = await relayed([...spin, [3000, `\r${signIn}`]], 60_000);
    expect(out).toContain(signIn);
  });

  it("a spinner alone is not relayed as a line", async () => {
    const spin: [number, string][] = Array.from({ length: 30 }, (_, i) => [i * 100, `\r${"|/-\\"[i % 4]}`]);
    const out = await relayed(spin, 10_000);
    expect(out).toEqual([]);
  });

  it("a prompt whose first chunk is only a \\r (a line clear) is relayed while it waits", async () => {
    const out = await relayed(
      [
        [0, "\r"],
        [1, "Enter the code: "],
      ],
      10_000,
    );
    expect(out).toEqual(["Enter the code: "]);
  });

  it("a plugin's error printed 10 ms before kubectl exits is not relayed (it was not followed by 1 s of running)", async () => {
    const out = await relayed(
      [
        [0, "Opening the sign-in page in your browser\n"],
        [990, "Error: failed to get token: refresh token expired\n"],
      ],
      1010,
    );
    expect(out).toEqual(["Opening the sign-in page in your browser"]);
  });

  it("a kubectl error line arriving in two chunks around the flush is not relayed as a fragment", async () => {
    const out = await relayed(
      [
        [0, `${signIn}\n`],
        [999, "Error from serv"],
        [1001, 'er (Forbidden): pods is forbidden: User "x" cannot list resource "pods"\n'],
      ],
      1002,
    );
    expect(out).toEqual([signIn]);
  });

  it("kubectl proxy's Go log line (httputil ReverseProxy, a page cut short) is kubectl's own, not relayed", async () => {
    const out = await relayed(
      [[0, "2024/12/05 10:00:00 httputil: ReverseProxy read error during body copy: unexpected EOF\n"]],
      5000,
    );
    expect(out).toEqual([]);
  });

  it("a line whose counter ticks every second is relayed once, while it waits", async () => {
    const ticks: [number, string][] = Array.from({ length: 6 }, (_, i) => [
      i * 1000,
      `\rWaiting for sign-in ${i + 1}s`,
    ]);
    const out = await relayed(ticks, 6500);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^Waiting for sign-in \d+s$/);
  });
});
