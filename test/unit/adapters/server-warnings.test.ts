/**
 * What the API server warns of in a call that succeeds (a PodSecurity level the CronJob's docker socket
 * would violate, a deprecated API) reaches the user's stderr as kubectl prints it, once per run.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { serverWarnings } from "../../../src/adapters/kubectl-errors.js";
import { connect } from "../../../src/connection.js";
import { testIo } from "../../support/test-io.js";

const podSecurity = 'would violate PodSecurity "baseline:latest": hostPath volumes (volume "docker-socket")';

describe("the API server's warnings", () => {
  it("are kubectl's `Warning:` lines, and nothing else it printed", () => {
    expect(
      serverWarnings(`Warning: ${podSecurity}\nI1204 12:00:00.000000 1 round_trippers.go:1] GET\n`),
    ).toEqual([podSecurity]);
    expect(serverWarnings("")).toEqual([]);
  });

  it("of a call that succeeded are printed on stderr, escaped, each once however many calls warn", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-warn-"));
    const kubectl = join(dir, "kubectl");
    writeFileSync(
      kubectl,
      `#!/bin/sh\nprintf 'Warning: %s\\n' '${podSecurity}' >&2\nprintf 'Warning: \\033[2J\\n' >&2\necho '{}'\n`,
    );
    chmodSync(kubectl, 0o755);
    const stderr = new PassThrough();
    let written = "";
    stderr.on("data", (chunk) => {
      written += chunk;
    });
    const io = testIo({ stderr: stderr as unknown as NodeJS.WriteStream });
    const { kubectl: client } = connect(io, {
      connection: {},
      kubectlPath: kubectl,
      color: "never",
      verbose: false,
    });
    expect(await client.run(["apply", "--dry-run=server"])).toBe("{}\n");
    expect(await client.run(["apply"])).toBe("{}\n");
    expect(written).toBe(`Warning: ${podSecurity}\nWarning: ^[[2J\n`);
    // On a terminal, where the spinner may be drawn, the line is cleared first, as for kubectl's waiting
    // lines; not where none can be (Emacs' shell, a CI job on a pty), which would show the codes as text.
    Object.assign(stderr, { isTTY: true, columns: 80 });
    const onTerminal = async (env: Record<string, string>) => {
      written = "";
      const terminal = { ...io, env };
      await connect(terminal, {
        connection: {},
        kubectlPath: kubectl,
        color: "never",
        verbose: false,
      }).kubectl.run(["apply"]);
      return written;
    };
    expect(await onTerminal({ TERM: "xterm" })).toBe(
      `\r\u001b[2KWarning: ${podSecurity}\n\r\u001b[2KWarning: ^[[2J\n`,
    );
    expect(await onTerminal({ TERM: "dumb" })).toBe(`Warning: ${podSecurity}\nWarning: ^[[2J\n`);
    expect(await onTerminal({ TERM: "xterm", CI: "true" })).toBe(`Warning: ${podSecurity}\nWarning: ^[[2J\n`);
    rmSync(dir, { recursive: true });
  });
});
