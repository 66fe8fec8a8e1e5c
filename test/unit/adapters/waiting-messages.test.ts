/**
 * A credential plugin's device-code login prints where to sign in on kubectl's stderr and waits: the lines a
 * still-running kubectl's stderr says before going quiet reach the user; kubectl's own lines, and what a
 * call prints just before it ends, stay in its captured stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
