/**
 * The CronJob verbs against a real control plane (test/testbed: kube-apiserver, kube-controller-manager,
 * kube-scheduler, etcd; kubectl v1.35.4). There is no kubelet: pods stay Pending, and a test sets a pod's
 * status itself (as a kubelet would) to make the real Job controller finish a Job.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { createExec } from "../../src/adapters/exec.js";
import { Kubectl } from "../../src/adapters/kubectl.js";
import { buildInstallObjects, type InstallSpec } from "../../src/cron/core/objects.js";
import { checkSchedule, checkTimeZone } from "../../src/cron/core/schedule.js";
import { repoRoot, runCli } from "./support.js";
import { run, startTestbed, type Testbed, tokenKubeconfig } from "./testbed.js";

let tb: Testbed;
beforeAll(async () => {
  tb = await startTestbed();
}, 3_600_000); // a cold cache builds Kubernetes first (test/testbed/build.sh: up to ~25 min)
afterAll(async () => {
  await tb?.stop();
}, 60_000);

const fakeDocker = join(repoRoot, "test", "cron", "bin", "docker");
const selector = "app.kubernetes.io/managed-by=kubectl-autoupdate";

/** kubectl as the testbed's admin. */
const k = (args: string[], input?: string) =>
  run(tb.kubectl, [`--kubeconfig=${tb.kubeconfig}`, ...args], input);
/** kubectl as admin; fails the test on a non-zero exit. */
async function kk(args: string[], input?: string): Promise<string> {
  const result = await k(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}
const json = async (args: string[]) => JSON.parse(await kk([...args, "-o", "json"]));
/** The ClusterRoles and ClusterRoleBindings an -A install into `namespace` made. */
const clusterRbacOf = async (namespace: string) =>
  (
    await json([
      "get",
      "clusterroles,clusterrolebindings",
      "-l",
      `${selector},kubectl-autoupdate/namespace=${namespace}`,
    ])
  ).items;
/** The plugin, in-process, against the testbed. */
const cli = (...args: string[]) =>
  runCli([...args, `--kubeconfig=${tb.kubeconfig}`, `--kubectl=${tb.kubectl}`]);

async function createNamespace(name: string, labels: Record<string, string> = {}) {
  await kk(["create", "namespace", name]);
  if (Object.keys(labels).length > 0) {
    await kk(["label", "namespace", name, ...Object.entries(labels).map(([key, v]) => `${key}=${v}`)]);
  }
}

/** resourceVersion and generation of the four installed objects. */
async function versions(namespace: string, clusterRoles = false) {
  const names = [
    `serviceaccount/kubectl-autoupdate`,
    clusterRoles ? `clusterrole/${namespace}:kubectl-autoupdate` : "role/kubectl-autoupdate",
    clusterRoles ? `clusterrolebinding/${namespace}:kubectl-autoupdate` : "rolebinding/kubectl-autoupdate",
    "cronjob/kubectl-autoupdate",
  ];
  const list = await json(["get", ...names, "-n", namespace]);
  return list.items.map(
    (o: { kind: string; metadata: { uid: string; resourceVersion: string; generation?: number } }) => ({
      kind: o.kind,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      generation: o.metadata.generation,
    }),
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Plays the kubelet: ends the Job's pod with this phase and exit code. */
async function finishJobPod(namespace: string, job: string, phase: "Succeeded" | "Failed") {
  const pod = await until(`a pod of ${job}`, async () => {
    const pods = await json(["get", "pods", "-n", namespace, "-l", `batch.kubernetes.io/job-name=${job}`]);
    return pods.items[0]?.metadata.name as string | undefined;
  });
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const code = phase === "Succeeded" ? 0 : 1;
  const status = {
    status: {
      phase,
      containerStatuses: [
        {
          name: "kubectl-autoupdate",
          image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode: code,
              reason: code ? "Error" : "Completed",
              startedAt: now,
              finishedAt: now,
            },
          },
        },
      ],
    },
  };
  await kk([
    "patch",
    "pod",
    pod,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify(status),
  ]);
}

/** What a subject may do in a namespace, from a SelfSubjectRulesReview (what `auth can-i --list` shows). */
async function resourceRules(kubeconfigArgs: string[], namespace: string): Promise<string[]> {
  const review = {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectRulesReview",
    spec: { namespace },
  };
  const result = await run(
    tb.kubectl,
    [...kubeconfigArgs, "create", "--validate=false", "-f", "-", "-o", "json"],
    JSON.stringify(review),
  );
  if (result.code !== 0) throw new Error(result.stderr);
  const rules: { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] }[] =
    JSON.parse(result.stdout).status.resourceRules;
  return rules
    .flatMap((r) =>
      (r.apiGroups ?? [""]).flatMap((g) =>
        (r.resources ?? []).flatMap((res) =>
          r.verbs.map((v) => `${g}/${res}:${v}${r.resourceNames ? `:${r.resourceNames}` : ""}`),
        ),
      ),
    )
    .sort();
}

describe("manifests against the API server's schemas and validation", () => {
  beforeAll(async () => {
    await createNamespace("dry");
  });

  it.each([
    ["namespace scope", []],
    ["-A", ["-A"]],
    ["-l", ["-l", "app=web,tier notin (db)"]],
    ["--schedule", ["--schedule", "15 3 * jan-jun mon-fri"]],
    ["--schedule macro", ["--schedule", "@weekly"]],
    ["--time-zone", ["--time-zone", "America/Argentina/Buenos_Aires"]],
    ["--suspend", ["--suspend"]],
    ["--image", ["--image", `registry.example.com:5000/tools/autoupdate@sha256:${"b".repeat(64)}`]],
    ["--name", ["--name", "a".repeat(52)]],
    ["--docker-socket", ["--resolver", "docker", "--docker-socket"]],
    [
      "every flag at once",
      [
        "-A",
        "-l",
        "app=web",
        "--schedule",
        "@daily",
        "--time-zone",
        "Europe/Berlin",
        "--suspend",
        "--name",
        "nightly",
      ],
    ],
    ["-o json", ["-o", "json"]],
  ])("%s: server-side dry run with strict field validation accepts them", async (_, flags) => {
    const printed = await cli("install-cron", "--dry-run", "-n", "dry", "-o", "yaml", ...flags);
    expect(printed.code).toBe(0);
    const result = await k(
      ["apply", "--server-side", "--dry-run=server", "--validate=strict", "--field-manager=test", "-f", "-"],
      printed.stdout,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(4);
  });

  it("the pod template meets Pod Security 'restricted'; --docker-socket does not, and the server says why", async () => {
    await createNamespace("restricted", { "pod-security.kubernetes.io/warn": "restricted" });
    const apply = async (...flags: string[]) => {
      const printed = await cli("install-cron", "--dry-run", "-n", "restricted", ...flags);
      return k(
        ["apply", "--server-side", "--dry-run=server", "--field-manager=test", "-f", "-"],
        printed.stdout,
      );
    };
    const hardened = await apply();
    expect(hardened.code).toBe(0);
    expect(hardened.stderr).toBe("");
    const socket = await apply("--resolver", "docker", "--docker-socket");
    expect(socket.code).toBe(0);
    expect(socket.stderr).toContain('would violate PodSecurity "restricted:latest"');
    expect(socket.stderr).toContain('volume "docker-socket" uses restricted volume type "hostPath"');
    expect(socket.stderr).toContain("runAsNonRoot != true");
    expect(socket.stderr).toContain("runAsUser=0");
  });

  const spec = (schedule: string, timeZone?: string): InstallSpec => ({
    name: "probe",
    namespace: "dry",
    allNamespaces: false,
    schedule,
    timeZone,
    suspend: false,
    resolver: "registry",
    dockerSocket: false,
    image: "example.com/x:1",
  });
  /** Whether the API server accepts a CronJob with this schedule and zone (a create, server dry run). */
  async function serverAccepts(
    schedule: string,
    timeZone?: string,
  ): Promise<{ ok: boolean; stderr: string }> {
    const cron = buildInstallObjects(spec(schedule, timeZone))[3];
    const result = await k(["create", "--dry-run=server", "-f", "-", "-o", "name"], JSON.stringify(cron));
    return { ok: result.code === 0, stderr: result.stderr };
  }

  const schedules = [
    "*/10 * * * *",
    "0 3 * * *",
    "0-59/15 0,12 1-31 * *",
    "5/15 * * * *",
    "0 9 * jan-mar,DEC mon-fri",
    "0 9 ? * SUN",
    "*/61 * * * *",
    "07 +3 * * 6",
    "@hourly",
    "@daily",
    "@midnight",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "60 * * * *",
    "* 24 * * *",
    "* * 0 * *",
    "* * 32 * *",
    "* * * 13 *",
    "* * * * 7",
    "* * * foo *",
    "mon * * * *",
    "30-10 * * * *",
    "*/0 * * * *",
    "1/2/3 * * * *",
    "1-2-3 * * * *",
    "-1 * * * *",
    "70/5 * * * *",
    "* * * *",
    "0 */10 * * * *",
    "@Hourly",
    "@reboot",
    "TZ=UTC 0 3 * * *",
    "CRON_TZ=Europe/Berlin 0 3 * * *",
  ];
  it("checkSchedule accepts exactly what kube-apiserver accepts", async () => {
    const disagreements: string[] = [];
    for (const schedule of schedules) {
      const server = await serverAccepts(schedule);
      const ours = checkSchedule(schedule).ok;
      if (server.ok !== ours)
        disagreements.push(`${schedule}: server ${server.ok}, ours ${ours} ${server.stderr}`);
    }
    expect(disagreements).toEqual([]);
  }, 120_000);

  it("…and refuses two things the server lets through: @every and empty list items", async () => {
    for (const schedule of ["@every 5m", "1,,2 * * * *"]) {
      expect((await serverAccepts(schedule)).ok).toBe(true);
      expect(checkSchedule(schedule).ok).toBe(false);
    }
  });

  it("the server refuses TZ= in a schedule with the message our check anticipates", async () => {
    const result = await serverAccepts("TZ=UTC 0 3 * * *");
    expect(result.stderr).toContain("cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  });

  it("checkTimeZone agrees with the server", async () => {
    const zones = [
      "UTC",
      "Europe/Berlin",
      "Etc/GMT+5",
      "America/Argentina/Buenos_Aires",
      "Europe/Pariss",
      "Local",
      "europe/berlin",
      "Mars/Olympus",
      "../etc/passwd",
      "+01",
      "+01:00",
      "-05",
    ];
    const disagreements: string[] = [];
    for (const zone of zones) {
      const server = await serverAccepts("0 3 * * *", zone);
      const ours = checkTimeZone(zone).ok;
      if (server.ok !== ours)
        disagreements.push(`${zone}: server ${server.ok}, ours ${ours} ${server.stderr}`);
    }
    expect(disagreements).toEqual([]);
  }, 60_000);
});

describe("install-cron", () => {
  beforeAll(async () => {
    await createNamespace("t1");
  });

  it("creates the four objects, server-side applied by field manager kubectl-autoupdate", async () => {
    const result = await cli("install-cron", "-n", "t1");
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "serviceaccount/kubectl-autoupdate created",
        "role.rbac.authorization.k8s.io/kubectl-autoupdate created",
        "rolebinding.rbac.authorization.k8s.io/kubectl-autoupdate created",
        "cronjob.batch/kubectl-autoupdate created",
        "",
      ].join("\n"),
    );
    const cron = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1", "--show-managed-fields"]);
    expect(
      cron.metadata.managedFields.map(
        (f: { manager: string; operation: string }) => `${f.manager}/${f.operation}`,
      ),
    ).toContain("kubectl-autoupdate/Apply");
    expect(cron.spec).toMatchObject({
      schedule: "*/10 * * * *",
      concurrencyPolicy: "Forbid",
      suspend: false,
    });
  });

  it("a second run changes nothing: same resourceVersions, reported unchanged", async () => {
    const before = await versions("t1");
    const result = await cli("install-cron", "-n", "t1");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^(\S+ unchanged\n){4}$/);
    expect(await versions("t1")).toEqual(before);
  });

  it("new flags update the CronJob in place (same uid, next generation), and leaving them out undoes them", async () => {
    const [sa, role, binding, cron] = await versions("t1");
    const changed = await cli(
      "install-cron",
      "-n",
      "t1",
      "--schedule",
      "@hourly",
      "--time-zone",
      "Europe/Berlin",
      "--suspend",
      "-l",
      "app=web",
    );
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain("cronjob.batch/kubectl-autoupdate configured");
    expect(changed.stdout).toContain("serviceaccount/kubectl-autoupdate unchanged");
    const after = await versions("t1");
    expect(after.slice(0, 3)).toEqual([sa, role, binding]);
    expect(after[3]).toMatchObject({ uid: cron.uid, generation: cron.generation + 1 });
    const updated = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1"]);
    expect(updated.spec).toMatchObject({ schedule: "@hourly", timeZone: "Europe/Berlin", suspend: true });
    expect(updated.spec.jobTemplate.spec.template.spec.containers[0].command).toContain("--selector=app=web");

    const back = await cli("install-cron", "-n", "t1");
    expect(back.code).toBe(0);
    const restored = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1"]);
    expect(restored.metadata.uid).toBe(cron.uid);
    expect(restored.spec.timeZone).toBeUndefined();
    expect(restored.spec).toMatchObject({ schedule: "*/10 * * * *", suspend: false });
    expect(restored.spec.jobTemplate.spec.template.spec.containers[0].command).not.toContain(
      "--selector=app=web",
    );
  });

  it("takes back a field someone changed by hand (kubectl patch)", async () => {
    await kk([
      "patch",
      "cronjob",
      "kubectl-autoupdate",
      "-n",
      "t1",
      "--type=merge",
      "-p",
      '{"spec":{"suspend":true}}',
    ]);
    const result = await cli("install-cron", "-n", "t1");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("cronjob.batch/kubectl-autoupdate configured");
    expect((await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1"])).spec.suspend).toBe(false);
  });

  it("-A swaps the Role and RoleBinding for a ClusterRole and ClusterRoleBinding, and back", async () => {
    const cluster = await cli("install-cron", "-n", "t1", "-A");
    expect(cluster.code).toBe(0);
    expect(cluster.stdout).toContain("clusterrole.rbac.authorization.k8s.io/t1:kubectl-autoupdate created");
    expect(cluster.stdout).toContain(
      "role.rbac.authorization.k8s.io/kubectl-autoupdate deleted (left from a namespace-scoped install)",
    );
    expect((await json(["get", "roles,rolebindings", "-n", "t1", "-l", selector])).items).toEqual([]);
    expect((await json(["get", "clusterroles,clusterrolebindings", "-l", selector])).items).toHaveLength(2);

    const again = await cli("install-cron", "-n", "t1", "-A");
    expect(again.stdout).toMatch(/^(\S+ unchanged\n){4}$/);

    const back = await cli("install-cron", "-n", "t1");
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(
      "clusterrolebinding.rbac.authorization.k8s.io/t1:kubectl-autoupdate deleted (left from a cluster-wide (-A) install)",
    );
    expect((await json(["get", "clusterroles,clusterrolebindings", "-l", selector])).items).toEqual([]);
    expect((await json(["get", "roles,rolebindings", "-n", "t1", "-l", selector])).items).toHaveLength(2);
  });

  it("bad input against a real cluster: refused, nothing created", async () => {
    await createNamespace("bad");
    for (const flags of [
      ["--schedule", "TZ=UTC 0 3 * * *"],
      ["--schedule", "0 3 * * 7"],
      ["--time-zone", "Europe/Pariss"],
      ["-l", "app=(web"],
      ["--resolver", "docker"],
      ["--name", "UPPER"],
    ]) {
      const result = await cli("install-cron", "-n", "bad", ...flags);
      expect(result.code, flags.join(" ")).toBe(1);
      expect(result.stderr).toMatch(/^error: /);
    }
    expect(
      (await json(["get", "cronjobs,serviceaccounts,roles,rolebindings", "-n", "bad", "-l", selector])).items,
    ).toEqual([]);
    expect(await clusterRbacOf("bad")).toEqual([]);
  });

  it("a refusal only the server can make (-A into a namespace that does not exist): nothing created", async () => {
    const result = await cli("install-cron", "-A", "-n", "nowhere");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*namespaces? "nowhere" not found/);
    // The ClusterRole and ClusterRoleBinding need no namespace: applied alone, they would have been created.
    expect(await clusterRbacOf("nowhere")).toEqual([]);
  });
});

/** The rules install-cron grants, as `group/resource:verb` (core group empty). */
const needed = [
  "/pods:delete",
  "/pods:list",
  "/replicationcontrollers:get",
  "/secrets:get",
  "/serviceaccounts:list",
  "apps/daemonsets:get",
  "apps/replicasets:get",
  "apps/replicasets:list",
  "apps/statefulsets:get",
  "batch/jobs:list",
  "policy/poddisruptionbudgets:list",
];

describe("RBAC: exactly what apply needs", () => {
  const sa = "system:serviceaccount:t1:kubectl-autoupdate";

  it("auth can-i --list shows the needed rules and nothing else (beyond what every account may do)", async () => {
    await createNamespace("other");
    const everyone = await resourceRules(
      [`--kubeconfig=${tb.kubeconfig}`, "--as=system:serviceaccount:other:default"],
      "t1",
    );
    const ours = await resourceRules([`--kubeconfig=${tb.kubeconfig}`, `--as=${sa}`], "t1");
    expect(ours.filter((r) => !everyone.includes(r))).toEqual(needed);
    // In another namespace the namespace-scoped install grants nothing.
    expect(await resourceRules([`--kubeconfig=${tb.kubeconfig}`, `--as=${sa}`], "other")).toEqual(everyone);
    const list = await kk(["auth", "can-i", "--list", `--as=${sa}`, "-n", "t1"]);
    expect(list).toMatch(/^pods\s+\[\]\s+\[\]\s+\[list delete\]$/m);
  });

  it.each([
    ["list", "pods", "t1", "yes"],
    ["delete", "pods", "t1", "yes"],
    ["get", "secrets", "t1", "yes"],
    ["list", "serviceaccounts", "t1", "yes"],
    ["list", "replicasets.apps", "t1", "yes"],
    ["get", "statefulsets.apps", "t1", "yes"],
    ["list", "jobs.batch", "t1", "yes"],
    ["list", "pods", "other", "no"],
    ["delete", "pods", "other", "no"],
    ["create", "pods", "t1", "no"],
    ["patch", "pods", "t1", "no"],
    ["watch", "pods", "t1", "no"],
    ["create", "pods/eviction", "t1", "no"],
    ["list", "secrets", "t1", "no"],
    ["watch", "secrets", "t1", "no"],
    ["get", "configmaps", "t1", "no"],
    ["patch", "deployments.apps", "t1", "no"],
    ["delete", "replicasets.apps", "t1", "no"],
    ["create", "jobs.batch", "t1", "no"],
    ["get", "cronjobs.batch", "t1", "no"],
    ["list", "namespaces", "", "no"],
    ["list", "nodes", "", "no"],
  ])("auth can-i %s %s -n %s: %s", async (verb, resource, namespace, answer) => {
    const result = await k([
      "auth",
      "can-i",
      verb,
      resource,
      `--as=${sa}`,
      ...(namespace ? ["-n", namespace] : []),
    ]);
    expect(result.stdout.trim()).toBe(answer);
  });

  it("with -A the same rules hold in every namespace, and still nothing more", async () => {
    await createNamespace("t2");
    const result = await cli("install-cron", "-n", "t2", "-A");
    expect(result.code).toBe(0);
    const everyone = await resourceRules(
      [`--kubeconfig=${tb.kubeconfig}`, "--as=system:serviceaccount:other:default"],
      "other",
    );
    const ours = await resourceRules(
      [`--kubeconfig=${tb.kubeconfig}`, "--as=system:serviceaccount:t2:kubectl-autoupdate"],
      "other",
    );
    expect(ours.filter((r) => !everyone.includes(r))).toEqual(needed);
    const can = (verb: string, resource: string) =>
      k([
        "auth",
        "can-i",
        verb,
        resource,
        "--as=system:serviceaccount:t2:kubectl-autoupdate",
        "--all-namespaces",
      ]);
    expect((await can("list", "pods")).stdout.trim()).toBe("yes");
    expect((await can("list", "secrets")).stdout.trim()).toBe("no");
    expect((await can("list", "nodes")).stdout.trim()).toBe("no");
  });
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
    recorder = recordingKubectl(tb.kubectl);
    const token = (await kk(["create", "token", "kubectl-autoupdate", "-n", "t1", "--duration=1h"])).trim();
    saKubeconfig = tokenKubeconfig(tb, "kubectl-autoupdate", "t1", token);
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
    const plan = await runCli(["plan", ...args, "-o", "json"]);
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
    const apply = await runCli(["apply", "--yes", "--summary-json", ...args]);
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
    const refused = await run(tb.kubectl, [`--kubeconfig=${saKubeconfig}`, "get", "secrets", "-n", "t1"]);
    expect(refused.stderr).toContain("Forbidden");
    const patch = await run(tb.kubectl, [
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

describe("run-now, cron-status, uninstall-cron", () => {
  beforeAll(async () => {
    await createNamespace("t3", { "pod-security.kubernetes.io/enforce": "restricted" });
    const result = await cli("install-cron", "-n", "t3", "--suspend");
    expect(result.code).toBe(0);
  });

  it("run-now creates a Job owned by the CronJob with the manual annotation, even while suspended", async () => {
    const result = await cli("run-now", "-n", "t3");
    expect(result.code).toBe(0);
    const name = result.stdout.trim();
    expect(name).toMatch(/^kubectl-autoupdate-manual-[a-z0-9]{5}$/);
    const job = await json(["get", "job", name, "-n", "t3"]);
    const cron = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t3"]);
    expect(job.metadata.annotations["cronjob.kubernetes.io/instantiate"]).toBe("manual");
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        name: "kubectl-autoupdate",
        uid: cron.metadata.uid,
        controller: true,
      },
    ]);
    expect(job.metadata.labels).toMatchObject(cron.spec.jobTemplate.metadata.labels);
    // The Job controller made its pod: admitted under Pod Security "restricted", marked to be left alone.
    const pods = await until("the job's pod", async () => {
      const list = await json(["get", "pods", "-n", "t3", "-l", `batch.kubernetes.io/job-name=${name}`]);
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(pods[0].metadata.labels["kubectl-autoupdate/ignore"]).toBe("true");
    expect(pods[0].spec.serviceAccountName).toBe("kubectl-autoupdate");
    await finishJobPod("t3", name, "Succeeded");
  });

  it.each([
    ["Succeeded", 0, "complete"],
    ["Failed", 1, "failed: BackoffLimitExceeded"],
  ] as const)("run-now --wait follows the Job; its pod %s → exit %d", async (phase, code, message) => {
    const jobNames = async (): Promise<string[]> =>
      (await json(["get", "jobs", "-n", "t3"])).items.map(
        (j: { metadata: { name: string } }) => j.metadata.name,
      );
    const earlier = new Set(await jobNames());
    const running = cli("run-now", "-n", "t3", "--wait", "--poll-interval=200ms", "--timeout=2m");
    const job = await until("the new manual job", async () =>
      (await jobNames()).find((n) => !earlier.has(n)),
    );
    await finishJobPod("t3", job, phase);
    const result = await running;
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(`job.batch/${job} created`);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`job.batch/${job}: ${phase === "Succeeded" ? "Complete" : "Failed"}`);
    // Without a kubelet the API server serves an unscheduled pod's log as empty (exit 0): nothing to print.
    expect(result.stdout).toBe("");
  });

  it("cron-status shows the CronJob and its jobs with their outcome", async () => {
    const result = await cli("cron-status", "-n", "t3", "-o", "json");
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({
      kind: "CronStatus",
      schedule: "*/10 * * * *",
      timeZone: null,
      suspended: true,
      scope: { allNamespaces: false, namespace: "t3", selector: null },
      resolver: "registry",
    });
    expect(
      status.jobs.map((j: { trigger: string; status: string }) => `${j.trigger}/${j.status}`).sort(),
    ).toEqual(["manual/Complete", "manual/Complete", "manual/Failed"]);
    const table = await cli("cron-status", "-n", "t3");
    expect(table.stdout).toMatch(/^Suspended:\s+true$/m);
    expect(table.stdout).toMatch(/^JOB\s+TRIGGER\s+STATUS\s+STARTED\s+DURATION\s+REASON$/m);
  });

  it("uninstall-cron --dry-run deletes nothing; uninstall-cron leaves nothing behind", async () => {
    const everything = async () => [
      ...(
        await json([
          "get",
          "cronjobs,jobs,pods,serviceaccounts,roles,rolebindings",
          "-n",
          "t3",
          "-l",
          "app.kubernetes.io/instance=kubectl-autoupdate",
        ])
      ).items,
      ...(await json(["get", "clusterroles,clusterrolebindings", "-l", "kubectl-autoupdate/namespace=t3"]))
        .items,
    ];
    const before = (await everything()).length;
    const dry = await cli("uninstall-cron", "-n", "t3", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("cronjob.batch/kubectl-autoupdate deleted (server dry run)");
    expect((await everything()).length).toBe(before);

    const result = await cli("uninstall-cron", "-n", "t3");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe("cronjob.batch/kubectl-autoupdate deleted");
    await until("garbage collection of jobs and pods", async () =>
      (await everything()).length === 0 ? true : undefined,
    );
    const again = await cli("uninstall-cron", "-n", "t3");
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Nothing to uninstall");
  });

  it("uninstall-cron of an -A install removes the ClusterRole and ClusterRoleBinding too", async () => {
    const result = await cli("uninstall-cron", "-n", "t2");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("clusterrole.rbac.authorization.k8s.io/t2:kubectl-autoupdate deleted");
    expect((await json(["get", "clusterroles,clusterrolebindings", "-l", selector])).items).toEqual([]);
  });
});

describe("the CronJob controller runs the installed CronJob", () => {
  it("on schedule it creates a Job whose pod runs `apply --yes` as the ServiceAccount, marked to be left alone", async () => {
    await createNamespace("t4");
    const result = await cli("install-cron", "-n", "t4", "--schedule", "* * * * *", "-l", "app=web");
    expect(result.code).toBe(0);
    const pod = await until(
      "a scheduled job's pod",
      async () =>
        (await json(["get", "pods", "-n", "t4", "-l", "app.kubernetes.io/instance=kubectl-autoupdate"]))
          .items[0],
      90_000,
    );
    const job = await json(["get", "job", pod.metadata.labels["batch.kubernetes.io/job-name"], "-n", "t4"]);
    expect(job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toBeDefined();
    expect(job.metadata.ownerReferences[0]).toMatchObject({
      kind: "CronJob",
      name: "kubectl-autoupdate",
      controller: true,
    });
    expect(pod.metadata.labels["kubectl-autoupdate/ignore"]).toBe("true");
    expect(pod.spec.serviceAccountName).toBe("kubectl-autoupdate");
    expect(pod.spec.containers[0].command).toEqual([
      "kubectl-autoupdate",
      "apply",
      "--yes",
      "--summary-json",
      "--color=never",
      "--namespace=t4",
      "--selector=app=web",
      "--resolver=registry",
    ]);
    const cron = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t4"]);
    expect(cron.status.lastScheduleTime).toBeDefined();
    expect(YAML.stringify(cron.spec)).toContain("readOnlyRootFilesystem: true");
  }, 120_000);
});
