/**
 * The e2e tests' access to the test bed (test/testbed, provided by testbed.setup.ts): its kubectl as admin,
 * namespaces, the built plugin run as users run it (testbed kubectl first on PATH, KUBECONFIG set, the test
 * Docker engine), and useCluster, which gives a test file its simulated nodes, registries and namespaces.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, inject } from "vitest";
import { rolloutInProgress, type Workload, workloadResources } from "../../src/core/workload.js";
import { type NodeSpec, type Simulator, type SimulatorOptions, startSimulator } from "../simulator/index.js";
import { type CliResult, repoRoot, runCli } from "./cli.js";
import { type Registry, type RegistryAuth, startRegistry } from "./registry/distribution.js";

export const testbed = () => inject("testbed");

/** The testbed's kubectl binary (v1.35.4). */
export const kubectlPath = () => join(testbed().bin, "kubectl");

/** The testbed's kubectl as admin; never throws for a non-zero exit. */
export function kubectl(args: string[], input = "", env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const tb = testbed();
  return new Promise((done) => {
    const child = execFile(
      kubectlPath(),
      args,
      {
        // Its discovery cache in the test bed's directory (stop.sh removes it), not the user's ~/.kube/cache.
        env: { ...process.env, KUBECONFIG: tb.kubeconfig, KUBECACHEDIR: join(tb.dir, "kube-cache"), ...env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
    // kubectl may end without reading its input (an error found first): its exit says so, not a
    // write's EPIPE.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input);
  });
}

/** kubectl that must succeed; returns stdout. */
export async function kk(args: string[], input = ""): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

/**
 * A change to the installed CronJob made with `kubectl patch` (another field manager than install-cron's).
 */
export function patchCronJob(namespace: string, patch: object): Promise<string> {
  return kk([
    "patch",
    "cronjob",
    "kubectl-autoupdate",
    "-n",
    namespace,
    "--type=merge",
    "-p",
    JSON.stringify(patch),
  ]);
}

/** `kubectl apply -f -` of these objects. */
export async function apply(...objects: object[]): Promise<void> {
  await kk(["apply", "-f", "-"], objects.map((o) => JSON.stringify(o)).join("\n"));
}

let home: string | undefined;

/** What the plugin runs with: testbed kubectl first on PATH, the admin KUBECONFIG, the test engine. */
export function pluginEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const tb = testbed();
  if (!home) {
    // Inside the testbed's directory, which stop.sh removes.
    home = mkdtempSync(join(tb.dir, "home-"));
    mkdirSync(join(home, ".docker"));
    writeFileSync(join(home, ".docker", "config.json"), '{"auths":{}}\n');
  }
  return {
    PATH: `${tb.bin}:${join(repoRoot, "bin")}:${process.env["PATH"]}`,
    KUBECONFIG: tb.kubeconfig,
    DOCKER_HOST: inject("dockerHost"),
    DOCKER_CONFIG: join(home, ".docker"),
    HOME: home,
    KUBECTL_PATH: "",
    KUBECTL: "",
    ...extra,
  };
}

/** The built bin/kubectl-autoupdate. */
export function plugin(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, pluginEnv(extra));
}

/** The plan document of `plan -o json ARGS`; fails the test when the plugin fails. */
export async function planJson(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<PlanDoc> {
  const result = await plugin(["plan", "-o", "json", ...args], extra);
  if (result.code !== 0) throw new Error(`plan ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as PlanDoc;
}

export interface PlanDoc {
  apiVersion: string;
  kind: string;
  resolver: string;
  /** The --strategy asked for. */
  strategy?: "auto" | "rollout" | "evict" | "delete";
  pods: {
    namespace: string;
    name: string;
    owner: { kind: string; name: string } | null;
    /** "delete" reads "apply replaces this pod"; how is in `restart`. */
    action: "delete" | "skip" | "none";
    reason: string;
    warnings: string[];
    /** How apply restarts a pod with action delete. */
    restart?: {
      strategy: "rollout" | "evict" | "delete";
      controller: { kind: string; name: string };
      reason: string;
    };
    containers: {
      name: string;
      init: boolean;
      image: string;
      ref: string | null;
      runningDigest: string | null;
      latestDigest: string | null;
      status: "stale" | "current" | "pinned" | "unknown";
      reason: string;
    }[];
  }[];
}

/** `namespace/name action` lines of a plan, sorted: compact and readable in a failed assertion. */
export function actions(doc: PlanDoc): string[] {
  return doc.pods.map((p) => `${p.namespace}/${p.name} ${p.action}`).sort();
}

export async function createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await kk(["create", "namespace", name]);
  if (Object.keys(labels).length > 0) {
    await kk(["label", "namespace", name, ...Object.entries(labels).map(([key, v]) => `${key}=${v}`)]);
  }
  // The ServiceAccount admission needs the namespace's default ServiceAccount before pods can be created.
  await until(`serviceaccount default in ${name}`, async () =>
    (await kubectl(["get", "serviceaccount", "default", "-n", name])).code === 0 ? true : undefined,
  );
}

/** Deletes namespaces and waits until they are gone (the simulator must still run to finish their pods). */
export async function deleteNamespaces(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await kubectl(["delete", "namespace", ...names, "--wait=false", "--ignore-not-found"]);
  await until(
    `namespaces ${names.join(", ")} to go`,
    async () => {
      const out = await kubectl(["get", "namespace", ...names, "--ignore-not-found", "-o", "name"]);
      return out.stdout.trim() === "" ? true : undefined;
    },
    120_000,
  );
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Waits until every Deployment, StatefulSet and DaemonSet in `ns` (of `selector`, when given) has settled by
 * the plugin's own rule. Ready pods are not enough: a controller publishes its status a moment later, and
 * plan leaves a workload it sees mid-rollout alone.
 */
export async function settledWorkloads(ns: string, selector?: string, timeoutMs = 120_000): Promise<void> {
  const args = ["get", Object.values(workloadResources).join(","), "-n", ns, "-o", "json"];
  if (selector) args.push("-l", selector);
  await until(
    `workloads${selector ? ` ${selector}` : ""} in ${ns} to settle`,
    async () => {
      const list = JSON.parse(await kk(args)) as { items: Workload[] };
      return list.items.every((w) => rolloutInProgress(w) === null) ? true : undefined;
    },
    timeoutMs,
  );
}

/**
 * A kubeconfig (in the testbed's directory) that authenticates with a ServiceAccount token, as a pod does.
 */
export function tokenKubeconfig(name: string, namespace: string, token: string): string {
  const tb = testbed();
  const path = join(tb.dir, `sa-${namespace}-${name}.kubeconfig`);
  const ca = readFileSync(tb.ca).toString("base64");
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: testbed",
      "  cluster:",
      `    server: ${tb.apiserver}`,
      `    certificate-authority-data: ${ca}`,
      "users:",
      "- name: sa",
      "  user:",
      `    token: ${token}`,
      "contexts:",
      "- name: sa",
      "  context: {cluster: testbed, user: sa, namespace: " + namespace + "}",
      "current-context: sa",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return path;
}

export interface ClusterOptions {
  /** Simulated nodes (test/simulator), named after the file; none: no simulator, pods stay Pending. */
  nodes?: NodeSpec[];
  timings?: SimulatorOptions["timings"];
  /** Real registries, started side by side; `anonymous` for one without auth. */
  registries?: RegistryAuth[];
  /** Namespaces made before the file's tests. */
  namespaces?: string[];
}

export interface Cluster {
  /** The simulator of `nodes`. */
  readonly sim: Simulator;
  /** The first of `registries`. */
  readonly registry: Registry;
  readonly registries: readonly Registry[];
  /**
   * Makes a namespace (with these labels) now and returns its name; deleted after the file, as `namespaces`.
   */
  namespace(name: string, labels?: Record<string, string>): Promise<string>;
}

/**
 * A test file's part of the shared control plane: registers the beforeAll that starts its registries and
 * simulated nodes and makes its namespaces, and the afterAll that deletes the namespaces (waiting while the
 * nodes finish their pods), then stops the nodes and registries. A file's own afterAll runs before it.
 */
export function useCluster(options: ClusterOptions = {}): Cluster {
  let sim: Simulator | undefined;
  const registries: Registry[] = [];
  const namespaces: string[] = [];
  const namespace = async (name: string, labels: Record<string, string> = {}) => {
    namespaces.push(name);
    await createNamespace(name, labels);
    return name;
  };
  beforeAll(async () => {
    registries.push(...(await Promise.all((options.registries ?? []).map((auth) => startRegistry(auth)))));
    if (options.nodes?.length) {
      sim = await startSimulator({
        kubeconfig: testbed().kubeconfig,
        nodes: options.nodes,
        ...(options.timings ? { timings: options.timings } : {}),
      });
    }
    await Promise.all((options.namespaces ?? []).map((name) => namespace(name)));
  });
  afterAll(async () => {
    try {
      await deleteNamespaces(namespaces);
    } finally {
      await sim?.stop();
      await Promise.all(registries.map((r) => r.stop()));
    }
  });
  return {
    get sim() {
      if (!sim) throw new Error("useCluster: no simulated nodes were asked for");
      return sim;
    },
    get registry() {
      const first = registries[0];
      if (!first) throw new Error("useCluster: no registry was asked for");
      return first;
    },
    registries,
    namespace,
  };
}
