/**
 * What the built CLI asks kubectl, read from the recording fake (test/bin/kubectl logs every argv): the
 * connection flags (`--kubeconfig`, `--context`, `--cluster`, `--user`, `--server`, the TLS files and checks,
 * `--request-timeout`, `--as`, `--as-group`, `--as-uid`, `--as-user-extra`) reach every call, so no call ever lands in another
 * cluster or as another user; `-n`, `-A`, `-l` and `--field-selector` become the namespace path and the query
 * of the paged list reads (`kubectl get --raw`), the context's namespace is asked of kubectl when no -n is
 * given (and named by an empty plan); pages follow their continue tokens, and an expired token restarts the
 * list once; and `$KUBECTL_PATH` (set by kubectl ≥ 1.37 for its plugins) names the kubectl to run when none
 * is on PATH. Images live in a real registry; the registry resolver needs no Docker engine.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
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
  "--as-uid",
  "1234",
  "--as-user-extra",
  "reason=audit",
  "--as-user-extra",
  "ticket=42",
  "-s",
  "https://127.0.0.1:6443",
  "--certificate-authority",
  "/home/ops/.kube/ca.crt",
  "--client-certificate",
  "/home/ops/.kube/ops.crt",
  "--client-key",
  "/home/ops/.kube/ops.key",
  "--tls-server-name",
  "kubernetes",
  "--insecure-skip-tls-verify",
  "--cache-dir",
  "/home/ops/.kube/cache",
  "--disable-compression",
];
/** As kubectl must receive them. */
const passedThrough = [
  "--kubeconfig=/home/ops/.kube/prod.yaml",
  "--context=prod-admin",
  "--cluster=prod-eu",
  "--user=ops-admin",
  "--server=https://127.0.0.1:6443",
  "--certificate-authority=/home/ops/.kube/ca.crt",
  "--client-certificate=/home/ops/.kube/ops.crt",
  "--client-key=/home/ops/.kube/ops.key",
  "--tls-server-name=kubernetes",
  "--insecure-skip-tls-verify=true",
  "--request-timeout=45s",
  "--as=jane",
  "--as-group=devs",
  "--as-group=ops",
  "--as-uid=1234",
  "--as-user-extra=reason=audit",
  "--as-user-extra=ticket=42",
  "--cache-dir=/home/ops/.kube/cache",
  "--disable-compression=true",
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

/**
 * `get pods` (a page of the paged read `get --raw /api/v1/…/pods?…` too), `get replicasets`, `get
 * deployments`, `get serviceaccounts`, `get secrets`, `delete --raw`, `config view`: the call's kind.
 */
function kindOf(argv: string[]): string {
  const uri = rawUri(argv);
  if (uri) {
    const verb = argv.find((a) => !a.startsWith("-"));
    return verb === "get" ? `get ${uri.pathname.split("/").at(-1)}` : `${verb} --raw`;
  }
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-o" || argv[i] === "-f") i++;
    else if (!argv[i]!.startsWith("-")) words.push(argv[i]!);
  }
  const [verb, resource] = words;
  return `${verb} ${resource?.split(/[.,]/)[0]}`;
}

function rawUri(argv: string[]): URL | null {
  const at = argv.indexOf("--raw");
  return at === -1 ? null : new URL(argv[at + 1]!, "https://api.invalid");
}

/** What a paged list read asks for: its namespace (null: all), selectors and paging. */
function listRequest(argv: string[]) {
  const uri = rawUri(argv);
  if (!uri) throw new Error(`not a paged list read: ${argv.join(" ")}`);
  const namespace = /\/namespaces\/([^/]+)\//.exec(uri.pathname)?.[1] ?? null;
  const q = uri.searchParams;
  return {
    namespace,
    labelSelector: q.get("labelSelector"),
    fieldSelector: q.get("fieldSelector"),
    limit: q.get("limit"),
    continueToken: q.get("continue"),
  };
}

/** Adds to the fake's state what the FakeCluster constructor does not know (paging, context). */
function tune(fake: FakeCluster, extra: Record<string, unknown>): FakeCluster {
  const state = JSON.parse(readFileSync(fake.statePath, "utf8")) as object;
  writeFileSync(fake.statePath, JSON.stringify({ ...state, ...extra }));
  return fake;
}

/** Where a call reads: the --namespace flag or the namespace in a paged read's path (null: none). */
function namespaceOf(argv: string[]): string | null {
  const flag = argv.find((a) => a.startsWith("--namespace="));
  if (flag) return flag.slice("--namespace=".length);
  return rawUri(argv) ? listRequest(argv).namespace : null;
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
    // A stale pod of a Deployment: the default strategy (auto) reads the Deployments and the budgets to
    // decide; none is served, so it is to be evicted, and this tool's Events are read for restarts in vain.
    expect(calls.map(kindOf).sort()).toEqual([
      "get deployments",
      "get events",
      "get poddisruptionbudgets",
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
        argv.filter((a) =>
          /^--(kubeconfig|context|cluster|user|server|certificate-authority|client-certificate|client-key|tls-server-name|insecure-skip-tls-verify|request-timeout|as|as-group|as-uid|as-user-extra|cache-dir|disable-compression)\b/.test(
            a,
          ),
        ),
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
    const dryDelete = dry.calls().find((c) => kindOf(c.argv) === "delete --raw");
    expect(dryDelete?.argv).toEqual(expect.arrayContaining(passedThrough));
    expect(JSON.parse(dryDelete?.stdin ?? "{}")).toMatchObject({
      dryRun: ["All"],
      preconditions: { uid: expect.any(String) },
    });
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
        argv.filter((a) =>
          /^--(kubeconfig|context|cluster|user|server|certificate-authority|client-certificate|client-key|tls-server-name|insecure-skip-tls-verify|request-timeout|as|as-group|as-uid|as-user-extra|cache-dir|disable-compression)(=|$)/.test(
            a,
          ),
        ),
      ).toEqual([]);
    }
  });
});

describe("selection flags become kubectl's", () => {
  const podList = (fake: FakeCluster) => fake.calls().find((c) => kindOf(c.argv) === "get pods")!.argv;

  it("-n NS: every call reads NS (the lists' path, the secrets' --namespace)", async () => {
    const fake = cluster();
    const run = await runPlan(fake, ["plan", "-n", "shop", "--resolver", "registry", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    const calls = fake.calls().map((c) => c.argv);
    expect(calls).toHaveLength(7);
    for (const argv of calls) {
      expect(namespaceOf(argv), argv.join(" ")).toBe("shop");
      expect(argv).not.toContain("--all-namespaces");
    }
    expect(listRequest(podList(fake))).toEqual({
      namespace: "shop",
      labelSelector: null,
      fieldSelector: null,
      limit: "2000",
      continueToken: null,
    });
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
    // The budgets are one small list (kubectl get), not paged.
    const budgets = calls.filter((a) => kindOf(a) === "get poddisruptionbudgets");
    expect(budgets).toEqual([expect.arrayContaining(["--all-namespaces"])]);
    const lists = calls.filter((a) => !["get secrets", "get poddisruptionbudgets"].includes(kindOf(a)));
    expect(lists.map(kindOf).sort()).toEqual([
      "get deployments",
      "get events",
      "get pods",
      "get replicasets",
      "get serviceaccounts",
    ]);
    // Every list is paged, across every namespace.
    for (const argv of lists) {
      expect(listRequest(argv).namespace, argv.join(" ")).toBeNull();
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
    expect(listRequest(podList(fake)).namespace).toBeNull();
    expect(podList(fake).some((a) => a.startsWith("--namespace"))).toBe(false);
  });

  it("no -n: the context's namespace, asked of kubectl once (same connection flags) and read by every list", async () => {
    const fake = tune(cluster(), { contextNamespace: "shop" });
    const run = await runPlan(fake, ["plan", "--resolver", "registry", "-o", "json", ...connectionFlags]);
    expect(planOf(run).pods.map((p) => p.name)).toEqual(["web-7d9c8b-aaaaa", "api-7d9c8b-bbbbb"]);
    const calls = fake.calls().map((c) => c.argv);
    expect(calls[0]).toEqual([
      ...passedThrough,
      "config",
      "view",
      "--minify",
      "-o",
      "jsonpath={.contexts[0].context.namespace}",
    ]);
    expect(calls.filter((a) => kindOf(a) === "config view")).toHaveLength(1);
    for (const argv of calls.slice(1)) expect(namespaceOf(argv), argv.join(" ")).toBe("shop");

    // A context without a namespace, or no kubeconfig context at all: kubectl's "default".
    for (const extra of [{}, { noContext: true }]) {
      const other = tune(cluster(), extra);
      const result = await runPlan(other, ["plan", "--resolver", "registry", "-o", "json"]);
      expect(planOf(result).pods).toEqual([]);
      expect(listRequest(podList(other)).namespace).toBe("default");
    }
  });

  it("an empty plan names where it looked, as kubectl get does: -n's namespace, the context's, or every one", async () => {
    const empty = (state: Record<string, unknown> = {}) => tune(new FakeCluster({ pods: [] }), state);
    const plan = ["plan", "--resolver", "registry"];
    const typo = await runPlan(empty(), [...plan, "-n", "shpo", "--exit-code"]);
    expect(typo).toMatchObject({ code: 0, stdout: "", stderr: "No resources found in shpo namespace.\n" });
    const context = empty({ contextNamespace: "shop" });
    expect((await runPlan(context, plan)).stderr).toBe("No resources found in shop namespace.\n");
    // Asked once, for the pod list: naming it asks nothing more.
    expect(context.calls().filter((c) => kindOf(c.argv) === "config view")).toHaveLength(1);
    expect((await runPlan(empty(), [...plan, "-A"])).stderr).toBe("No resources found\n");
    expect(await runPlan(empty(), [...plan, "-o", "json"])).toMatchObject({ code: 0, stderr: "" });
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
    expect(listRequest(podList(fake))).toMatchObject({
      namespace: null,
      labelSelector: "app=web",
      fieldSelector: "spec.nodeName=node-1",
    });
    // A pod's field selector on a ReplicaSet list is an error from the API server (field label
    // not supported).
    for (const { argv: other } of fake.calls().filter((c) => kindOf(c.argv) !== "get pods")) {
      expect(other.filter((a) => a.startsWith("--selector") || a.startsWith("--field-selector"))).toEqual([]);
      // This tool's own Events are found by their reporter, never by the pods' selectors.
      const own = kindOf(other) === "get events" ? "reportingController=kubectl-autoupdate" : null;
      if (rawUri(other))
        expect(listRequest(other)).toMatchObject({ labelSelector: null, fieldSelector: own });
    }
    // The fake applies the field selector as the API server does: no pod on another node is listed.
    const elsewhere = await runPlan(fake, [
      "plan",
      "-A",
      "--field-selector",
      "spec.nodeName=node-2",
      "--resolver",
      "registry",
      "-o",
      "json",
    ]);
    expect(planOf(elsewhere).pods).toEqual([]);
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
    expect(listRequest(podList(fake))).toMatchObject({
      namespace: "shop",
      labelSelector: "app=api",
      fieldSelector: "status.phase=Running",
    });
  });

  it("a selector with spaces, commas and set syntax reaches the API server intact", async () => {
    const fake = cluster();
    const selector = "app in (web, api),tier!=db";
    const run = await runPlan(fake, ["plan", "-A", "-l", selector, "--resolver", "registry", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(listRequest(podList(fake)).labelSelector).toBe(selector);
  });
});

describe("pages", () => {
  const podPages = (fake: FakeCluster) =>
    fake
      .calls()
      .filter((c) => kindOf(c.argv) === "get pods")
      .map((c) => c.argv);

  it("a list longer than a page is read page by page, following the continue tokens; every page carries the connection flags", async () => {
    const fake = tune(cluster(), { pageSize: 1 });
    const run = await runPlan(fake, [
      "plan",
      "-A",
      "--resolver",
      "registry",
      "-o",
      "json",
      ...connectionFlags,
    ]);
    expect(planOf(run).pods.map((p) => [p.name, p.action])).toEqual([
      ["web-7d9c8b-aaaaa", "delete"],
      ["api-7d9c8b-bbbbb", "none"],
      ["web-7d9c8b-ccccc", "delete"],
    ]);
    const pages = podPages(fake);
    expect(pages).toHaveLength(3);
    expect(pages.map((argv) => listRequest(argv).continueToken === null)).toEqual([true, false, false]);
    expect(new Set(pages.map((argv) => listRequest(argv).continueToken)).size).toBe(3);
    // The owners too: two ReplicaSets, two pages.
    expect(fake.calls().filter((c) => kindOf(c.argv) === "get replicasets")).toHaveLength(2);
    // The continued pages came through one kubectl proxy per list longer than a page (pods, ReplicaSets,
    // ServiceAccounts); it logs each page as a get --raw.
    const proxies = fake.calls().filter((c) => c.argv.includes("proxy"));
    expect(proxies).toHaveLength(3);
    for (const { argv } of proxies)
      expect(argv.at(-1)).toMatch(/^--unix-socket=\/.*\/kubectl-autoupdate-proxy-[a-z]+-[^/]+\/sock$/);
    for (const { argv } of fake.calls()) {
      expect(
        argv.filter((a) => passedThrough.includes(a)),
        argv.join(" "),
      ).toEqual(passedThrough);
    }
  });

  it("where kubectl proxy does not start, each continued page is a kubectl of its own, with the same result", async () => {
    const fake = tune(cluster(), { pageSize: 1, noProxy: true });
    const run = await runPlan(fake, ["plan", "-A", "--resolver", "registry", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    expect(planOf(run).pods.map((p) => p.name)).toEqual([
      "web-7d9c8b-aaaaa",
      "api-7d9c8b-bbbbb",
      "web-7d9c8b-ccccc",
    ]);
    expect(podPages(fake)).toHaveLength(3);
    expect(fake.calls().filter((c) => c.argv.includes("proxy"))).toHaveLength(3);
  });

  it("an expired continue token restarts the list once, with a warning, and no pod twice", async () => {
    const fake = tune(cluster(), { pageSize: 1, expireContinue: 1 });
    const run = await runPlan(fake, ["plan", "-A", "--resolver", "registry", "-o", "json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(planOf(run).pods.map((p) => p.name)).toEqual([
      "web-7d9c8b-aaaaa",
      "api-7d9c8b-bbbbb",
      "web-7d9c8b-ccccc",
    ]);
    expect(run.stderr).toContain(
      "Warning: the get pods list took longer than the API server keeps its continue token (410 Expired after 1 read); read it again from the start\n",
    );
    // First page, the expired second, then all three again.
    expect(podPages(fake).map((argv) => listRequest(argv).continueToken === null)).toEqual([
      true,
      false,
      true,
      false,
      false,
    ]);
  });

  it("a token that expires again fails the plan on one line, naming the list and what to do", async () => {
    const fake = tune(cluster(), { pageSize: 1, expireContinue: 2 });
    const run = await runPlan(fake, ["plan", "-A", "--resolver", "registry", "-o", "json"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^error: the get pods list took longer than the API server keeps its continue token again, read from the start \(410 Expired after 1 read\): narrow it with -n, -l or --field-selector, or run closer to the API server\n$/,
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
    expect(fake.calls().length).toBe(7);

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
    expect(fake.calls()).toHaveLength(14);
  });
});
