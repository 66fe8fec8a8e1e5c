/**
 * The calls the CronJob's pod makes, run with its ServiceAccount's token against the real API server
 * (test/testbed): plan and apply meet no refusal, and the rules granted are exactly the requests made.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createExec } from "../../../src/adapters/exec.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";
import { runMain } from "../../support/cli.js";
import { cli, json, needed, useCronCluster } from "../../support/cron-cluster.js";
import { kk, kubectlPath, kubectl as testbedKubectl, tokenKubeconfig, until } from "../../support/e2e.js";
import { fakeBin } from "../../support/fake-kubectl.js";

const cluster = useCronCluster();
/** An engine that answers but reaches no registry: every image resolves to unknown, apply deletes nothing. */
const fakeDocker = join(fakeBin, "docker-no-registry");

beforeAll(async () => {
  await cluster.namespace("t1");
  expect((await cli("install-cron", "-n", "t1")).code).toBe(0);
});

/**
 * kubectl run with -v=6, its request lines logged and kept off the stderr the plugin reads: the API requests
 * themselves, as `group/resource:verb`, allowed (any answer but 403) or refused.
 */
function recordingKubectl(real: string): {
  path: string;
  requests: (answer: "allowed" | "refused") => string[];
} {
  const dir = mkdtempSync(join(tmpdir(), "kau-api-log-"));
  const log = join(dir, "requests.log");
  const path = join(dir, "kubectl");
  writeFileSync(log, "");
  writeFileSync(
    path,
    [
      "#!/usr/bin/env bash",
      `err=$(mktemp); "${real}" -v=6 "$@" 2>"$err"; rc=$?`,
      `grep -F '"Response"' "$err" >> "${log}"`,
      `grep -v -E '^[IWEF][0-9]{4} ' "$err" >&2; rm -f "$err"; exit $rc`,
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  const requests = (answer: "allowed" | "refused") => {
    const seen = new Set<string>();
    for (const line of readFileSync(log, "utf8").split("\n")) {
      const m = /verb="(\w+)" url="([^"]+)" status="(\d+)/.exec(line);
      if (!m || (m[3] === "403") !== (answer === "refused")) continue;
      const url = new URL(m[2]!);
      // /api/v1/namespaces/NS/RESOURCE[/NAME] or /apis/GROUP/VERSION/namespaces/NS/RESOURCE[/NAME].
      const parts = url.pathname.split("/").filter(Boolean);
      const group = parts[0] === "apis" ? parts[1]! : "";
      const rest = parts.slice(parts[0] === "apis" ? 3 : 2);
      if (rest.length === 0) continue; // discovery: every account may read it
      const scoped = rest[0] === "namespaces" && rest.length >= 3 ? rest.slice(2) : rest;
      const [resource, name] = scoped;
      const verb =
        m[1] === "GET"
          ? url.searchParams.get("watch") === "true"
            ? "watch"
            : name === undefined
              ? "list"
              : "get"
          : m[1] === "DELETE"
            ? "delete"
            : m[1]!.toLowerCase();
      seen.add(`${group}/${resource}:${verb}`);
    }
    return [...seen].sort();
  };
  return { path, requests };
}

describe("the job's own calls, as its ServiceAccount (token, as in-cluster)", () => {
  let saKubeconfig: string;
  let recorder: ReturnType<typeof recordingKubectl>;
  const secret = (name: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name },
    type: "kubernetes.io/dockerconfigjson",
    data: {
      ".dockerconfigjson": Buffer.from('{"auths":{"registry.example.com":{"auth":"dTpw"}}}').toString(
        "base64",
      ),
    },
  });

  beforeAll(async () => {
    recorder = recordingKubectl(kubectlPath());
    const token = (await kk(["create", "token", "kubectl-autoupdate", "-n", "t1", "--duration=1h"])).trim();
    saKubeconfig = tokenKubeconfig("kubectl-autoupdate", "t1", token);
    // Workloads of every owner kind apply reads, pull secrets on pods and on a ServiceAccount.
    await kk(
      ["apply", "-n", "t1", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [secret("pull-a"), secret("pull-b")] }),
    );
    await kk(["create", "serviceaccount", "builder", "-n", "t1"]);
    await kk([
      "patch",
      "serviceaccount",
      "builder",
      "-n",
      "t1",
      "-p",
      '{"imagePullSecrets":[{"name":"pull-b"}]}',
    ]);
    const podSpec = (sa?: string) => ({
      ...(sa ? { serviceAccountName: sa } : { imagePullSecrets: [{ name: "pull-a" }, { name: "missing" }] }),
      containers: [{ name: "app", image: "registry.example.com/team/app:main", imagePullPolicy: "Always" }],
    });
    const template = (app: string, sa?: string) => ({ metadata: { labels: { app } }, spec: podSpec(sa) });
    const workloads = [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: template("web") },
      },
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "db" },
        spec: {
          replicas: 1,
          serviceName: "db",
          selector: { matchLabels: { app: "db" } },
          template: template("db", "builder"),
        },
      },
      {
        apiVersion: "v1",
        kind: "ReplicationController",
        metadata: { name: "legacy" },
        spec: { replicas: 1, selector: { app: "legacy" }, template: template("legacy") },
      },
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "once" },
        spec: { template: { ...template("once"), spec: { ...podSpec(), restartPolicy: "Never" } } },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "bare", labels: { app: "bare" } },
        spec: podSpec("builder"),
      },
    ];
    await kk(
      ["apply", "-n", "t1", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: workloads }),
    );
    await until("the workloads' pods", async () => {
      const pods = await json(["get", "pods", "-n", "t1", "-l", "app in (web,db,legacy,once,bare)"]);
      return pods.items.length >= 6 ? true : undefined;
    });
  }, 120_000);

  it("plan and apply --yes run as the ServiceAccount without any refusal", async () => {
    const args = [
      `--kubeconfig=${saKubeconfig}`,
      `--kubectl=${recorder.path}`,
      "--namespace=t1",
      "--resolver=docker",
      `--docker=${fakeDocker}`,
      "--color=never",
    ];
    const plan = await runMain(["plan", ...args, "-o", "json"]);
    expect(plan.stderr).not.toMatch(/forbidden|cannot (get|list|delete)/i);
    expect(plan.code).toBe(0);
    const document = JSON.parse(plan.stdout);
    // (A scheduled run of t1's CronJob may have left a pod too: owned via a Job by the CronJob.)
    const owners = document.pods
      .map((p: { owner: { kind: string } | null }) => p.owner?.kind ?? "none")
      .filter((kind: string) => kind !== "CronJob")
      .sort();
    expect(owners).toEqual([
      "Deployment",
      "Deployment",
      "Job",
      "ReplicationController",
      "StatefulSet",
      "none",
    ]);
    const apply = await runMain(["apply", "--yes", "--summary-json", ...args]);
    expect(apply.stderr).not.toMatch(/forbidden|cannot (get|list|delete)/i);
    expect(apply.code).toBe(0);
    expect(apply.stdout.trim().split("\n").at(-1)).toMatch(/^\{"kind":"RunSummary"/);
  });

  it("every other call apply makes is allowed: owners by name, pods by selector, pod deletion (dry run and real)", async () => {
    const kubectl = new Kubectl(createExec(), recorder.path, { kubeconfig: saKubeconfig });
    expect((await kubectl.getSecrets("t1", ["pull-a", "missing"])).map((s) => s.metadata.name)).toEqual([
      "pull-a",
    ]);
    const accounts = await kubectl.listServiceAccounts({ namespace: "t1", allNamespaces: false });
    expect(accounts.find((sa) => sa.metadata.name === "builder")?.imagePullSecrets).toEqual([
      { name: "pull-b" },
    ]);
    const rs = (
      await kubectl.listObjects(["replicasets.apps", "jobs.batch"], { namespace: "t1", allNamespaces: false })
    ).filter((o) => o.kind === "ReplicaSet");
    expect(rs).toHaveLength(1);
    for (const [resource, name] of [
      ["replicasets.apps", rs[0]!.metadata.name],
      ["statefulsets.apps", "db"],
      ["daemonsets.apps", "absent"],
      ["replicationcontrollers", "legacy"],
    ] as const) {
      await expect(kubectl.getObject(resource, name, "t1")).resolves.toSatisfy((o) =>
        name === "absent" ? o === null : o !== null,
      );
    }
    expect(await kubectl.listDisruptionBudgets("t1")).toEqual([]);
    const web = await kubectl.listPodsBySelector("t1", "app=web");
    expect(web).toHaveLength(2);
    const victim = web[0]!;
    expect(await kubectl.deletePod("t1", victim.metadata.name, victim.metadata.uid!, true)).toEqual({
      kind: "deleted",
    });
    expect(await kubectl.deletePod("t1", victim.metadata.name, victim.metadata.uid!, false)).toEqual({
      kind: "deleted",
    });
    // …but nothing beyond: no pod creation, no secret listing, no patching a Deployment.
    const refused = await testbedKubectl([`--kubeconfig=${saKubeconfig}`, "get", "secrets", "-n", "t1"]);
    expect(refused.stderr).toContain("Forbidden");
    const patch = await testbedKubectl([
      `--kubeconfig=${saKubeconfig}`,
      "rollout",
      "restart",
      "deployment/web",
      "-n",
      "t1",
    ]);
    expect(patch.stderr).toContain("forbidden");
  });

  it("the rules granted are exactly the requests those runs made: none missing, none unused", () => {
    expect(recorder.requests("allowed")).toEqual(needed);
    // kubectl's own: a named get that finds nothing checks that the namespace exists, and takes no for an answer.
    expect(recorder.requests("refused")).toEqual(["/namespaces:get"]);
  });
});
