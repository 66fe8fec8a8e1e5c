/**
 * A verb's failure to reach the cluster, said again naming the kubeconfig: still the run's cause after a
 * late signal.
 */
import { describe, expect, it } from "vitest";
import { ClusterAccessError } from "../../../src/adapters/kubectl-errors.js";
import { verbAction } from "../../../src/cli/verb.js";
import type { ConnectionOptions } from "../../../src/connection.js";
import { endedBeforeSignal, failureMessage } from "../../../src/errors.js";
import { testIo } from "../../support/test-io.js";

describe("the cluster out of reach, said again by the verb's wiring", () => {
  it("keeps the mark of an error the restarts ended with before any signal", async () => {
    const lost = new ClusterAccessError("the login expired", { kind: "unauthorized" }, "");
    const action = verbAction(
      testIo({ env: { KUBECONFIG: "/nonexistent/config" } }),
      async (): Promise<ConnectionOptions> => ({
        connection: {},
        kubectlPath: "/nonexistent/kubectl",
        color: "never",
        verbose: false,
      }),
      async () => {
        throw endedBeforeSignal(lost);
      },
    );
    const said = await action({}).catch((error: unknown) => error);
    expect(said).toBeInstanceOf(ClusterAccessError);
    expect(said).not.toBe(lost);
    // A signal came while the Events were recorded: the run still ends with why the restarts stopped.
    expect(failureMessage(said, true)).not.toBe("interrupted");
    expect(failureMessage(said, true)).toMatch(/^the cluster \(kubeconfig \/nonexistent\/config/);
  });
});

describe("--verbose: kubectl's own output before the error", () => {
  it.each([
    ["cut off mid-line", "Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o tim", "\n"],
    ["ending its line", "error: You must be logged in to the server (Unauthorized)\n", ""],
  ])("%s, it ends its line: the error that follows starts its own", async (_, output, added) => {
    const io = testIo({ env: { KUBECONFIG: "/nonexistent/config" } });
    let said = "";
    io.stderr.on("data", (chunk: Buffer) => {
      said += chunk.toString();
    });
    const action = verbAction(
      io,
      async (): Promise<ConnectionOptions> => ({
        connection: {},
        kubectlPath: "/nonexistent/kubectl",
        color: "never",
        verbose: true,
      }),
      async () => {
        throw new ClusterAccessError("cannot reach the cluster", { kind: "timeout" }, output);
      },
    );
    await action({}).catch(() => undefined);
    expect(said).toBe(`kubectl's output:\n${output}${added}`);
  });
});
