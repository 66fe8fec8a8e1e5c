/**
 * The namespace a list without -n reads: the context's, as kubectl get takes it, also when the context
 * names a user or cluster entry that is not in the kubeconfig and --user or --cluster stands in for it
 * (`config view --minify` refuses that context: "cannot locate user gone"; `kubectl get` does not).
 */
import { describe, expect, it } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";

const view = {
  "current-context": "x",
  contexts: [
    { name: "x", context: { cluster: "c", user: "gone", namespace: "shop" } },
    { name: "y", context: { cluster: "c", user: "gone", namespace: "billing" } },
  ],
};

/** A kubectl whose --minify view cannot locate the context's user; the whole view is `view`. */
function kubectl(): { exec: Exec; calls: string[][] } {
  const calls: string[][] = [];
  const exec: Exec = async (_file, args) => {
    calls.push([...args]);
    if (args.includes("--minify")) {
      return { exitCode: 1, stdout: "", stderr: "error: cannot locate user gone\n", interrupted: false };
    }
    return { exitCode: 0, stdout: JSON.stringify(view), stderr: "", interrupted: false };
  };
  return { exec, calls };
}

describe("namespaceKubectlWouldUse", () => {
  it("reads the context's namespace from the whole view when --minify cannot locate its user", async () => {
    const current = kubectl();
    expect(await new Kubectl(current.exec, "kubectl", { user: "u" }).namespaceKubectlWouldUse()).toBe("shop");
    expect(current.calls.at(-1)).toEqual(["--user=u", "config", "view", "-o", "json"]);
    const named = kubectl();
    const other = new Kubectl(named.exec, "kubectl", { context: "y", user: "u" });
    expect(await other.namespaceKubectlWouldUse()).toBe("billing");
  });

  it("refuses a context's namespace no namespace can have: `..` would make every list read all of them", async () => {
    const exec: Exec = async () => ({ exitCode: 0, stdout: "..\n", stderr: "", interrupted: false });
    await expect(new Kubectl(exec, "kubectl", {}).namespaceKubectlWouldUse()).rejects.toThrow(
      'invalid namespace "..": want at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit (from the kubeconfig context; pass -n)',
    );
  });
});
