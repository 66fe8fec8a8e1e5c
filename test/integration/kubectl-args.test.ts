/**
 * What the built CLI asks kubectl, read from the recording fake (test/bin/kubectl logs every argv): the
 * connection flags (`--kubeconfig`, `--context`, `--cluster`, `--user`, `--request-timeout`, `--as`,
 * `--as-group`) reach every call, so no call ever lands in another cluster or as another user; `-n`, `-A`,
 * `-l` and `--field-selector` become the kubectl flags that select the same pods; and `$KUBECTL_PATH`
 * (set by kubectl ≥ 1.37 for its plugins) names the kubectl to run when none is on PATH.
 * Images live in a real registry; the registry resolver needs no Docker engine.
 */
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeCluster, fakeBin, pullSecret } from "../support/fake-kubectl.js";
import { pushImage } from "../support/images.js";
import { makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import { deploymentPod, planOf, removeTempDirs, runPlan } from "../support/registry/harness.js";

const connectionFlags = [
  "--kubeconfig",
  "/home/ops/.kube/prod.yaml",
  "--context",
  "prod-admin",
  "--cluster",
  "prod-eu",
  "--user",
  "ops-admin",
  "--request-timeout",
  "45s",
  "--as",
  "jane",
  "--as-group",
  "devs",
  "--as-group",
  "ops",
];
/** As kubectl must receive them. */
const passedThrough = [
  "--kubeconfig=/home/ops/.kube/prod.yaml",
  "--context=prod-admin",
  "--cluster=prod-eu",
  "--user=ops-admin",
  "--request-timeout=45s",
  "--as=jane",
  "--as-group=devs",
  "--as-group=ops",
];

let registry: Registry;
let web: string;
let api: string;
let webV1: string;
let apiV1: string;

beforeAll(async () => {
  registry = await startRegistry();
  web = `${registry.host}/web:latest`;
  api = `${registry.host}/api:1.0`;
  webV1 = await pushImage(web, "kubectl-args web v1");
  apiV1 = await pushImage(api, "kubectl-args api v1");
  // web moves: its pods are stale, api's are current.
  await pushImage(web, "kubectl-args web v2");
});
afterAll(async () => {
  removeTempDirs();
  await registry?.stop();
});

/**
 * Pods in two namespaces: one naming a pull secret (→ `get secrets`), one naming none (→ `get
 * serviceaccounts`), all owned by ReplicaSets (→ `get replicasets`).
 */
function cluster() {
  const rs = (ns: string) => makeReplicaSet("web-7d9c8b", "web", ns);
  return new FakeCluster({
    pods: [
      deploymentPod("web-7d9c8b-aaaaa", web, webV1, {
        namespace: "shop",
        labels: { app: "web" },
        imagePullSecrets: ["regcred"],
      }),
      deploymentPod("api-7d9c8b-bbbbb", api, apiV1, { namespace: "shop", labels: { app: "api" } }),
      deploymentPod("web-7d9c8b-ccccc", web, webV1, {
        namespace: "other",
        labels: { app: "web" },
        imagePullSecrets: ["other-cred"],
      }),
    ],
    objects: [rs("shop"), rs("other")],
    secrets: [
      pullSecret("regcred", "shop", { [registry.host]: { username: "u", password: "p-shop-1" } }),
      pullSecret("other-cred", "other", { [registry.host]: { username: "u", password: "p-other-1" } }),
    ],
    serviceAccounts: [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "shop" } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "other" } },
    ],
  });
}

/** `get pods`, `get replicasets`, `get serviceaccounts`, `get secrets`, `delete --raw`: the call's kind. */
function kindOf(argv: string[]): string {
  if (argv.includes("--raw")) return `${argv.find((a) => !a.startsWith("-"))} --raw`;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-o" || argv[i] === "-f") i++;
    else if (!argv[i]!.startsWith("-")) words.push(argv[i]!);
  }
  const [verb, resource] = words;
  return `${verb} ${resource?.split(/[.,]/)[0]}`;
}

describe("connection flags reach every kubectl call", () => {
  it("plan: get pods, owners, ServiceAccounts and secrets all carry every flag, each exactly once", async () => {
    const fake = cluster();
    const run = await runPlan(fake, [
      "plan",
      "-n",
      "shop",
      "--resolver",
      "registry",
      "-o",
      "json",
      ...connectionFlags,
    ]);
    expect(planOf(run).pods.map((p) => [p.name, p.action])).toEqual([
      ["web-7d9c8b-aaaaa", "delete"],
      ["api-7d9c8b-bbbbb", "none"],
    ]);
    const calls = fake.calls().map((c) => c.argv);
    // A stale pod of a Deployment: the default strategy (auto) reads the Deployments to decide.
    expect(calls.map(kindOf).sort()).toEqual([
      "get deployments",
      "get pods",
      "get replicasets",
      "get secrets",
      "get serviceaccounts",
    ]);
    for (const argv of calls) {
      for (const flag of passedThrough) {
        expect(
          argv.filter((a) => a === flag),
          `${flag} in ${argv.join(" ")}`,
        ).toHaveLength(1);
      }
      // Nothing else of the connection sneaks in under another spelling.
      expect(
        argv.filter((a) => /^--(kubeconfig|context|cluster|user|request-timeout|as|as-group)\b/.test(a)),
      ).toEqual(passedThrough);
    }
  });

  it("apply: the deletion and the PodDisruptionBudget read carry them too (a delete in the wrong cluster is the worst call)", async () => {
    const fake = cluster();
    const run = await runPlan(fake, [
      "apply",
      "-n",
      "shop",
      "--resolver",
      "registry",
      "--strategy",
      "delete",
      "--yes",
      "--no-wait",
      ...connectionFlags,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("pod shop/web-7d9c8b-aaaaa deleted");
    expect(fake.podNames()).toEqual(["api-7d9c8b-bbbbb", "web-7d9c8b-ccccc"]);
    const calls = fake.calls().map((c) => c.argv);
    const kinds = calls.map(kindOf);
    expect(kinds).toContain("delete --raw");
    expect(kinds).toContain("get poddisruptionbudgets");
    for (const argv of calls) expect(argv.filter((a) => passedThrough.includes(a))).toEqual(passedThrough);

    const dry = cluster();
    const dryRun = await runPlan(dry, [
      "apply",
      "-n",
      "shop",
      "--resolver",
      "registry",
      "--strategy",
      "delete",
      "--yes",
      "--dry-run",
      ...connectionFlags,
    ]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const dryDelete = dry.calls().find((c) => kindOf(c.argv) === "delete pod");
    expect(dryDelete?.argv).toEqual(expect.arrayContaining([...passedThrough, "--dry-run=server"]));
    expect(dry.podNames()).toHaveLength(3);
  });

  it("apply under auto: the Deployments' list and the eviction carry them too", async () => {
    const fake = cluster();
    const run = await runPlan(fake, [
      "apply",
      "-n",
      "shop",
      "--resolver",
      "registry",
      "--yes",
      "--no-wait",
      ...connectionFlags,
    ]);
    expect(run.code, run.stderr).toBe(0);
    // The fake holds no Deployment object, so auto evicts (it rolls only what it has read).
    expect(run.stdout).toContain("pod shop/web-7d9c8b-aaaaa evicted");
    expect(fake.podNames()).toEqual(["api-7d9c8b-bbbbb", "web-7d9c8b-ccccc"]);
    const calls = fake.calls().map((c) => c.argv);
    expect(calls.map(kindOf)).toEqual(expect.arrayContaining(["get deployments", "create --raw"]));
    for (const argv of calls) expect(argv.filter((a) => passedThrough.includes(a))).toEqual(passedThrough);
  });

  it("without connection flags kubectl gets none (its own kubeconfig and context apply)", async () => {
    const fake = cluster();
    const run = await runPlan(fake, ["plan", "-n", "shop", "--resolver", "registry", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    for (const { argv } of fake.calls()) {
      expect(
        argv.filter((a) => /^--(kubeconfig|context|cluster|user|request-timeout|as|as-group)(=|$)/.test(a)),
      ).toEqual([]);
    }
  });
});

describe("selection flags become kubectl's", () => {
  const podList = (fake: FakeCluster) => fake.calls().find((c) => kindOf(c.argv) === "get pods")!.argv;

  it("-n NS: --namespace=NS on every call", async () => {
    const fake = cluster();
    const run = await runPlan(fake, ["plan", "-n", "shop", "--resolver", "registry", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    const calls = fake.calls().map((c) => c.argv);
    expect(calls).toHaveLength(5);
    for (const argv of calls) {
      expect(argv).toContain("--namespace=shop");
      expect(argv).not.toContain("--all-namespaces");
    }
  });

  it("-A: --all-namespaces on the lists, secrets read per namespace", async () => {
    const fake = cluster();
    const run = await runPlan(fake, ["plan", "-A", "--resolver", "registry", "-o", "json"]);
    expect(planOf(run).pods.map((p) => p.name)).toEqual([
      "web-7d9c8b-aaaaa",
      "api-7d9c8b-bbbbb",
      "web-7d9c8b-ccccc",
    ]);
    const calls = fake.calls().map((c) => c.argv);
    for (const argv of calls.filter((a) => kindOf(a) !== "get secrets")) {
      expect(argv).toContain("--all-namespaces");
      expect(argv.some((a) => a.startsWith("--namespace"))).toBe(false);
    }
    const secretCalls = calls.filter((a) => kindOf(a) === "get secrets");
    expect(
      secretCalls
        .map((argv) => [argv.find((a) => a.startsWith("--namespace=")), argv.filter((a) => /cred$/.test(a))])
        .sort(),
    ).toEqual([
      ["--namespace=other", ["other-cred"]],
      ["--namespace=shop", ["regcred"]],
    ]);
  });

  it("-A wins over -n, as in kubectl", async () => {
    const fake = cluster();
    const run = await runPlan(fake, ["plan", "-n", "shop", "-A", "--resolver", "registry", "-o", "json"]);
    expect(planOf(run).pods).toHaveLength(3);
    expect(podList(fake)).toContain("--all-namespaces");
    expect(podList(fake).some((a) => a.startsWith("--namespace"))).toBe(false);
  });

  it("no -n: no namespace flag at all (kubectl uses the context's namespace)", async () => {
    const fake = cluster();
    const run = await runPlan(fake, ["plan", "--resolver", "registry", "-o", "json"]);
    expect(planOf(run).pods).toEqual([]);
    const argv = podList(fake);
    expect(argv.some((a) => a.startsWith("--namespace") || a === "-n" || a === "--all-namespaces")).toBe(
      false,
    );
  });

  it("-l and --field-selector select the pods only: the owner, ServiceAccount and secret reads must not carry them", async () => {
    const fake = cluster();
    const run = await runPlan(fake, [
      "plan",
      "-A",
      "-l",
      "app=web",
      "--field-selector",
      "spec.nodeName=node-1",
      "--resolver",
      "registry",
      "-o",
      "json",
    ]);
    expect(planOf(run).pods.map((p) => p.name)).toEqual(["web-7d9c8b-aaaaa", "web-7d9c8b-ccccc"]);
    const argv = podList(fake);
    expect(argv).toContain("--selector=app=web");
    expect(argv).toContain("--field-selector=spec.nodeName=node-1");
    // A pod's field selector on a ReplicaSet list is an error from the API server (field label not supported).
    for (const { argv: other } of fake.calls().filter((c) => kindOf(c.argv) !== "get pods")) {
      expect(other.some((a) => a.startsWith("--selector") || a.startsWith("--field-selector"))).toBe(false);
    }
  });

  it("--selector and --field-selector spelled long behave the same", async () => {
    const fake = cluster();
    const run = await runPlan(fake, [
      "plan",
      "-n",
      "shop",
      "--selector",
      "app=api",
      "--field-selector=status.phase=Running",
      "--resolver",
      "registry",
      "-o",
      "json",
    ]);
    expect(planOf(run).pods.map((p) => p.name)).toEqual(["api-7d9c8b-bbbbb"]);
    expect(podList(fake)).toEqual(
      expect.arrayContaining([
        "--namespace=shop",
        "--selector=app=api",
        "--field-selector=status.phase=Running",
      ]),
    );
  });
});

describe("$KUBECTL_PATH", () => {
  /** A PATH holding node (the fake kubectl is a node script) and nothing else: no kubectl on it. */
  function pathWithoutKubectl(): string {
    const dir = mkdtempSync(join(tmpdir(), "kau-nokubectl-"));
    symlinkSync(process.execPath, join(dir, "node"));
    return dir;
  }

  it("names the kubectl to run when none is on PATH; without it the run says kubectl is missing", async () => {
    const fake = cluster();
    const path = pathWithoutKubectl();
    const args = ["plan", "-n", "shop", "--resolver", "registry", "-o", "json"];
    const viaPath = await runPlan(fake, args, {
      env: { PATH: path, KUBECTL_PATH: join(fakeBin, "kubectl") },
    });
    expect(planOf(viaPath).pods).toHaveLength(2);
    expect(fake.calls().length).toBe(5);

    const missing = new FakeCluster({ pods: [] });
    const without = await runPlan(missing, args, { env: { PATH: path, KUBECTL_PATH: "" } });
    expect(without.code).toBe(1);
    expect(without.stderr).toBe(
      "error: kubectl: not found; install it or point --kubectl (or KUBECTL) at it\n",
    );
    expect(missing.calls()).toEqual([]);
  });

  it("$KUBECTL and --kubectl win over $KUBECTL_PATH", async () => {
    const fake = cluster();
    const path = pathWithoutKubectl();
    const args = ["plan", "-n", "shop", "--resolver", "registry", "-o", "json"];
    const kubectlPath = "/nonexistent/kubectl-from-KUBECTL_PATH";
    const viaEnv = await runPlan(fake, args, {
      env: { PATH: path, KUBECTL_PATH: kubectlPath, KUBECTL: join(fakeBin, "kubectl") },
    });
    expect(planOf(viaEnv).pods).toHaveLength(2);
    const viaFlag = await runPlan(fake, [...args, "--kubectl", join(fakeBin, "kubectl")], {
      env: { PATH: path, KUBECTL_PATH: kubectlPath },
    });
    expect(planOf(viaFlag).pods).toHaveLength(2);
    expect(fake.calls()).toHaveLength(10);
  });
});
