/**
 * What the Kubectl adapter makes of a change (eviction, deletion, patch) that kubectl did not answer: a
 * kubectl killed mid-request (a terminal's Ctrl-C reaches the whole process group) may have sent it.
 */
import { describe, expect, it } from "vitest";
import type { Exec, ExecResult } from "../../../src/adapters/exec.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";

const kubectlAnswering = (result: ExecResult) => new Kubectl((async () => result) as Exec, "kubectl", {});
const killed: ExecResult = { exitCode: -1, stdout: "", stderr: "", interrupted: false, killedBy: "SIGINT" };

describe("a change kubectl did not answer", () => {
  it("killed: the reason says it may have reached the server", async () => {
    const kubectl = kubectlAnswering(killed);
    expect(await kubectl.evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason: "kubectl was killed by SIGINT before it answered: the eviction may have reached the server",
    });
    expect(await kubectl.deletePod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason: "kubectl was killed by SIGINT before it answered: the deletion may have reached the server",
    });
    expect(
      await kubectl.patchRestartedAt("Deployment", "shop", "web", "7", "2026-12-01T00:00:00Z", false),
    ).toEqual({
      kind: "failed",
      reason: "kubectl was killed by SIGINT before it answered: the patch may have reached the server",
    });
  });

  it("an exit without a word is said as it ended; kubectl's own line when it printed one", async () => {
    const silent = { exitCode: 3, stdout: "", stderr: "", interrupted: false };
    expect(await kubectlAnswering(silent).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason: "exit 3",
    });
    const said = { ...killed, stderr: "Error from server (InternalError): etcd leader changed\n" };
    expect(await kubectlAnswering(said).deletePod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason: "Error from server (InternalError): etcd leader changed",
    });
  });
});
