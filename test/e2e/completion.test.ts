/**
 * Shell completion as kubectl drives it: `kubectl __complete autoupdate …` (what kubectl's completion
 * scripts call on TAB) with the test bed's kubectl, and bin/ (kubectl-autoupdate and
 * kubectl_complete-autoupdate) on PATH. kubectl finds the completion executable, passes it the words and
 * relays its answer, namespaces coming from the real control plane.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliResult } from "../support/cli.js";
import { kubectlPath, pluginEnv, testbed, useCluster } from "../support/e2e.js";

const cluster = useCluster({ namespaces: ["e2e-completion-one", "e2e-completion-two"] });

function viaKubectl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      kubectlPath(),
      args,
      { env: { ...process.env, ...pluginEnv(), ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** kubectl's answer to TAB after `kubectl autoupdate WORDS`: the candidates and the directive. */
async function tab(...words: string[]): Promise<{ candidates: string[]; directive: string }> {
  const result = await viaKubectl(["__complete", "autoupdate", ...words]);
  expect(result.code, result.stderr).toBe(0);
  // kubectl says which executable answered, on stderr (cobra's debug lines).
  expect(result.stderr).toContain("About to look for: kubectl_complete-autoupdate");
  const lines = result.stdout.split("\n").filter((line) => line !== "");
  return { candidates: lines.slice(0, -1), directive: lines.at(-1) ?? "" };
}

/** A copy of the admin kubeconfig whose context has another name. */
function renamedContextKubeconfig(context: string): string {
  const path = join(testbed().dir, "completion-renamed.kubeconfig");
  writeFileSync(path, readFileSync(testbed().kubeconfig, "utf8").replaceAll("testbed", context));
  return path;
}

describe("kubectl __complete autoupdate", () => {
  it("offers the verbs with their descriptions, and no file names", async () => {
    const { candidates, directive } = await tab("");
    expect(candidates.map((c) => c.split("\t")[0])).toEqual([
      "plan",
      "apply",
      "install-cron",
      "uninstall-cron",
      "run-now",
      "cron-status",
      "help",
    ]);
    expect(candidates[0]).toBe("plan\tlist pods whose image tag has moved (read-only)");
    expect(directive).toBe(":4");
  });

  it("drops the descriptions when the shell asks for none (__completeNoDesc)", async () => {
    const result = await viaKubectl(["__completeNoDesc", "autoupdate", "ap"]);
    expect(result.stdout).toBe("apply\n:4\n");
  });

  it("offers the verb's flags, and the values of -o, --resolver, --strategy and --color", async () => {
    expect(await tab("plan", "--res")).toEqual({
      candidates: ["--resolver\thow to learn a tag's current digest"],
      directive: ":4",
    });
    expect((await tab("plan", "-o", "")).candidates).toEqual(["table", "wide", "json", "yaml", "name"]);
    expect((await tab("cron-status", "-o", "")).candidates).toEqual(["table", "json", "yaml"]);
    expect((await tab("apply", "--strategy", "")).candidates).toEqual(["auto", "rollout", "evict", "delete"]);
    expect((await tab("plan", "--resolver=")).candidates).toEqual(["docker", "registry"]);
    expect((await tab("apply", "--color", "n")).candidates).toEqual(["never"]);
  });

  it("offers the cluster's namespaces for -n and --namespace=", async () => {
    expect(await tab("plan", "-n", "e2e-completion-")).toEqual({
      candidates: ["e2e-completion-one", "e2e-completion-two"],
      directive: ":4",
    });
    expect((await tab("apply", "-A", "--namespace=e2e-completion-t")).candidates).toEqual([
      "e2e-completion-two",
    ]);
    expect((await tab("plan", "-n", "")).candidates).toContain("kube-system");
  });

  it("asks the cluster with the connection flags already typed (--as: a user who may not list namespaces)", async () => {
    await cluster.namespace("e2e-completion-three");
    expect(await tab("plan", "--as", "system:serviceaccount:default:default", "-n", "")).toEqual({
      candidates: [],
      directive: ":4",
    });
    const kubeconfig = renamedContextKubeconfig("renamed");
    expect(
      (await tab("plan", "--kubeconfig", kubeconfig, "--context", "renamed", "-n", "e2e-completion-th"))
        .candidates,
    ).toEqual(["e2e-completion-three"]);
  });

  it("offers the kubeconfig's contexts for --context", async () => {
    expect(await tab("plan", "--context", "")).toEqual({ candidates: ["testbed"], directive: ":4" });
    const kubeconfig = renamedContextKubeconfig("elsewhere");
    expect((await tab("install-cron", `--kubeconfig=${kubeconfig}`, "--context=")).candidates).toEqual([
      "elsewhere",
    ]);
  });

  it("answers nothing, quietly, when the cluster can't be reached", async () => {
    const kubeconfig = join(testbed().dir, "completion-closed-port.kubeconfig");
    // Port 1 on loopback: nothing listens there.
    writeFileSync(
      kubeconfig,
      readFileSync(testbed().kubeconfig, "utf8").replace(/server: .*/, "server: https://127.0.0.1:1"),
    );
    const result = await viaKubectl([
      "__complete",
      "autoupdate",
      "plan",
      "--kubeconfig",
      kubeconfig,
      "-n",
      "",
    ]);
    expect(result.stdout).toBe(":4\n");
    // Only kubectl's own debug lines: the plugin printed nothing.
    const others = result.stderr
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("[Debug]") && !l.startsWith("Completion ended"));
    expect(others).toEqual([]);
  });
});
