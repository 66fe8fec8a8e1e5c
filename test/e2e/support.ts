/**
 * Helpers for the e2e tests: the testbed's kubectl, the built plugin run as users run it (testbed kubectl
 * first on PATH, KUBECONFIG set, the test Docker engine), namespaces, and workload manifests.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { type CliResult, repoRoot, runCli } from "../support/cli.js";

export const testbed = () => inject("testbed");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The testbed's kubectl (v1.35.4) as admin; never throws for a non-zero exit. */
export function kubectl(args: string[], input = "", env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const tb = testbed();
  return new Promise((done) => {
    const child = execFile(
      join(tb.bin, "kubectl"),
      args,
      {
        env: { ...process.env, KUBECONFIG: tb.kubeconfig, ...env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

/** kubectl that must succeed; returns stdout. */
export async function kk(args: string[], input = ""): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
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
  pods: {
    namespace: string;
    name: string;
    owner: { kind: string; name: string } | null;
    action: "delete" | "skip" | "none";
    reason: string;
    warnings: string[];
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

export async function createNamespace(name: string): Promise<void> {
  await kk(["create", "namespace", name]);
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

export interface PodTemplateOptions {
  image: string;
  pullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Pin to nodes with these labels (e.g. the simulator's runtime label). */
  nodeSelector?: Record<string, string>;
  pullSecrets?: string[];
  /** The pod's ServiceAccount (default: the namespace's `default`). */
  serviceAccountName?: string;
  initImage?: string;
  terminationGracePeriodSeconds?: number;
}

function podSpec(o: PodTemplateOptions) {
  return {
    ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
    ...(o.pullSecrets ? { imagePullSecrets: o.pullSecrets.map((name) => ({ name })) } : {}),
    ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
    ...(o.initImage ? { initContainers: [{ name: "init", image: o.initImage }] } : {}),
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds ?? 30,
    containers: [{ name: "app", image: o.image, ...(o.pullPolicy ? { imagePullPolicy: o.pullPolicy } : {}) }],
  };
}

const template = (app: string, o: PodTemplateOptions) => ({
  metadata: { labels: { app } },
  spec: podSpec(o),
});

export function deployment(name: string, namespace: string, replicas: number, o: PodTemplateOptions) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, o) },
  };
}

export function statefulSet(name: string, namespace: string, replicas: number, o: PodTemplateOptions) {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name, o),
    },
  };
}

export function daemonSet(name: string, namespace: string, o: PodTemplateOptions) {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace, labels: { app: name } },
    spec: { selector: { matchLabels: { app: name } }, template: template(name, o) },
  };
}

export function job(name: string, namespace: string, o: PodTemplateOptions) {
  const spec = podSpec(o);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      backoffLimit: 0,
      template: { metadata: { labels: { app: name } }, spec: { ...spec, restartPolicy: "Never" } },
    },
  };
}

export function barePod(
  name: string,
  namespace: string,
  o: PodTemplateOptions,
  labels: Record<string, string> = {},
) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name, ...labels } },
    spec: podSpec(o),
  };
}

/** A kubernetes.io/dockerconfigjson Secret for one registry. */
export function dockerConfigSecret(
  name: string,
  namespace: string,
  host: string,
  user: string,
  password: string,
) {
  const config = {
    auths: {
      [host]: { username: user, password, auth: Buffer.from(`${user}:${password}`).toString("base64") },
    },
  };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(JSON.stringify(config)).toString("base64") },
  };
}
