/**
 * `plan` and `apply` with the docker resolver (the default) on a real control plane: the tag moves under a
 * Deployment's replicas on containerd and cri-dockerd nodes; one pull per unique reference and one list call
 * per kind; a multi-arch index on containerd and an arm64 CRI-O node; a private registry reached only through
 * the pods' pull secret, which never shows up in argv, output or files; a deleted tag and a stopped registry
 * restart nothing; and a deletion or an eviction carries the planned pod's UID, so a StatefulSet's successor
 * is left alone.
 * Every run gets a fresh HOME, DOCKER_CONFIG and TMPDIR: the user's docker config must come out unchanged,
 * and the plugin's private temporary directories must be gone.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pod } from "../simulator/index.js";
import {
  apply,
  kk,
  kubectlPath,
  type PlanDoc,
  plugin,
  settledWorkloads,
  useCluster,
} from "../support/e2e.js";
import { deleteFromRegistry, pushImage, pushIndex, removeLocal } from "../support/images.js";
import { anonymous, startRegistry } from "../support/registry/distribution.js";
import { barePod, deployment, dockerConfigSecret, statefulSet } from "../support/workloads.js";

const user = { name: "ci", password: "s3cr3t-Pa55word" };
const emptyConfig = '{"auths":{}}\n';
/** Every pod here but the multi-arch ones runs on the two amd64 nodes (the test engine pulls for amd64). */
const amd64 = { nodeSelector: { "kubernetes.io/arch": "amd64" } };
const cluster = useCluster({
  nodes: [
    { name: "dr-containerd", runtime: "containerd" },
    { name: "dr-docker", runtime: "docker" },
    { name: "dr-crio-arm", runtime: "cri-o", arch: "arm64" },
  ],
  registries: [anonymous, { htpasswd: { user: user.name, password: user.password } }],
});
const open = () => cluster.registries[0]!;
const priv = () => cluster.registries[1]!;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "kau-e2e-docker-resolver-"));
});

afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The user's docker config after the run. */
  userConfig: string;
  /** What the run left in its TMPDIR. */
  leftovers: string[];
  /** Every file the run left in its HOME and TMPDIR, with its content. */
  files: string[];
}

/** The plugin with a fresh HOME, DOCKER_CONFIG (holding an empty config) and TMPDIR, removed afterwards. */
async function cli(args: string[]): Promise<Run> {
  const home = mkdtempSync(join(scratch, "home-"));
  const userConfig = join(home, ".docker");
  mkdirSync(userConfig);
  writeFileSync(join(userConfig, "config.json"), emptyConfig);
  const tmp = mkdtempSync(join(scratch, "tmp-"));
  try {
    const result = await plugin(args, { HOME: home, DOCKER_CONFIG: userConfig, TMPDIR: tmp });
    const files = [home, tmp].flatMap((dir) =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${join(e.parentPath, e.name)}: ${readFileSync(join(e.parentPath, e.name), "latin1")}`),
    );
    return {
      ...result,
      userConfig: readFileSync(join(userConfig, "config.json"), "utf8"),
      leftovers: readdirSync(tmp),
      files,
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function planOf(args: string[]): Promise<PlanDoc> {
  const run = await cli(["plan", "-o", "json", ...args]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as PlanDoc;
}

/** A docker that logs its argv (one line per call) and runs the real one. */
function dockerShim(name: string): { path: string; log: () => string } {
  const log = join(scratch, `${name}.log`);
  const path = join(scratch, name);
  writeFileSync(log, "");
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${log}\nexec docker "$@"\n`, { mode: 0o755 });
  return { path, log: () => readFileSync(log, "utf8") };
}

/** The `exec:` lines --verbose printed for kubectl. */
const kubectlCalls = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("exec: kubectl "));

/** The pods of a namespace as `name uid`, sorted; terminating pods marked. */
async function podUids(ns: string): Promise<string[]> {
  const pods = JSON.parse(await kk(["get", "pods", "-n", ns, "-o", "json"])).items as Pod[];
  return pods
    .map((p) => `${p.metadata.name} ${p.metadata.uid}${p.metadata.deletionTimestamp ? " terminating" : ""}`)
    .sort();
}

/** A Deployment whose replicas go one to a node (the two amd64 nodes: one containerd, one cri-dockerd). */
function spreadDeployment(name: string, ns: string, replicas: number, image: string) {
  const d = deployment(name, ns, replicas, { image, ...amd64 });
  const constraint = {
    maxSkew: 1,
    topologyKey: "kubernetes.io/hostname",
    whenUnsatisfiable: "DoNotSchedule",
    labelSelector: { matchLabels: { app: name } },
  };
  return {
    ...d,
    spec: {
      ...d.spec,
      template: {
        ...d.spec.template,
        spec: { ...d.spec.template.spec, topologySpreadConstraints: [constraint] },
      },
    },
  };
}

describe("docker resolver, tag moved or not", () => {
  it("current before the push, stale after; the default rolls the Deployment as a server dry run; --strategy delete deletes exactly the stale pods", async () => {
    const ns = await cluster.namespace("e2e-dr-flow");
    const image = `${open().host}/web:latest`;
    const v1 = await pushImage(image, "web v1");
    await apply(spreadDeployment("web", ns, 2, image), barePod("bare", ns, { image, ...amd64 }));
    const started = await cluster.sim.waitForPods({ namespace: ns, count: 3, digest: v1 });
    await settledWorkloads(ns);
    const web = started.filter((p) => p.metadata.name?.startsWith("web-"));
    expect(web.map((p) => p.spec.nodeName).sort()).toEqual(["dr-containerd", "dr-docker"]);
    const bareUid = started.find((p) => p.metadata.name === "bare")!.metadata.uid;

    const before = await cli(["plan", "-n", ns, "-o", "json"]);
    expect(before.code, before.stderr).toBe(0);
    const doc = JSON.parse(before.stdout) as PlanDoc;
    expect(doc).toMatchObject({ apiVersion: "kubectl-autoupdate/v1", kind: "Plan", resolver: "docker" });
    expect(doc.pods.map((p) => p.action)).toEqual(["none", "none", "none"]);
    for (const pod of doc.pods) {
      expect(pod.containers[0]).toMatchObject({ status: "current", runningDigest: v1, latestDigest: v1 });
    }

    const v2 = await pushImage(image, "web v2");
    await removeLocal(image);
    const after = await cli(["plan", "-n", ns, "-o", "json"]);
    expect(after.code, after.stderr).toBe(0);
    const moved = JSON.parse(after.stdout) as PlanDoc;
    expect(moved.pods.map((p) => [p.name, p.action])).toEqual([
      ["bare", "skip"],
      ...web.map((p) => [p.metadata.name, "delete"]).sort(),
    ]);
    // The cri-dockerd replica (docker-pullable://…) and the containerd one alike.
    for (const pod of moved.pods) {
      expect(pod.containers[0]).toMatchObject({ status: "stale", runningDigest: v1, latestDigest: v2 });
    }
    const toDelete = moved.pods.filter((p) => p.action === "delete").map((p) => p.name);

    const table = await cli(["plan", "-n", ns]);
    expect(table.stdout).toMatch(/^POD\s+OWNER\s+CONTAINER\s+IMAGE\s+RUNNING\s+LATEST\s+ACTION\s+REASON\n/);
    expect(table.stdout).toContain(
      `Deployment/web   app         ${image}   ${v1.slice(7, 19)}   ${v2.slice(7, 19)}   rollout   rolling update of Deployment/web's 2 pods`,
    );
    expect(table.stdout).toContain("no controller owns it");
    expect(table.stdout).toContain(
      "3 stale (2 to restart in 1 namespace, 1 skipped), 0 unknown, 0 current (3 pods checked)",
    );

    const gate = await cli(["plan", "-n", ns, "--exit-code"]);
    expect(gate.code).toBe(2);
    const uidsBefore = await podUids(ns);
    const dry = await cli(["apply", "-n", ns, "--dry-run", "-v"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`deployment.apps ${ns}/web restarted (rollout, server dry run)\n`);
    // One patch of the Deployment's template, sent as a server dry run; nothing deleted or evicted.
    const writes = (run: Run) =>
      kubectlCalls(run.stderr).filter((l) => /^exec: kubectl (patch|delete|create) /.test(l));
    expect(writes(dry)).toEqual([
      expect.stringMatching(
        /^exec: kubectl patch deployments\.apps web --namespace=\S+ --type=merge --field-manager=kubectl-autoupdate --patch=\S+ -o json --dry-run=server$/,
      ),
    ]);
    expect(await podUids(ns)).toEqual(uidsBefore);

    const refused = await cli(["apply", "-n", ns]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refusing to restart 2 pods without confirmation");
    expect(await podUids(ns)).toEqual(uidsBefore);

    const applied = await cli(["apply", "-n", ns, "--yes", "--no-wait", "-v", "--strategy", "delete"]);
    expect(applied.code, applied.stderr).toBe(0);
    // Exactly the two replicas, in the plan's order, each by a raw DELETE with a body (the UID precondition).
    expect(kubectlCalls(applied.stderr).filter((l) => / delete /.test(l))).toEqual(
      toDelete.map((name) => `exec: kubectl delete --raw /api/v1/namespaces/${ns}/pods/${name} -f -`),
    );
    expect(applied.stdout).toContain("2 deleted (of 2 planned)");
    const replaced = await cluster.sim.waitForPods({
      namespace: ns,
      selector: "app=web",
      count: 2,
      digest: v2,
    });
    expect(replaced.some((p) => uidsBefore.some((u) => u.endsWith(` ${p.metadata.uid}`)))).toBe(false);
    expect((await podUids(ns)).filter((p) => p.startsWith("bare "))).toEqual([`bare ${bareUid}`]);

    for (const run of [before, after, table, gate, dry, refused, applied]) {
      expect(run.userConfig).toBe(emptyConfig);
      expect(run.leftovers).toEqual([]);
    }
  });

  it.each([
    ["delete", "deleted", "delete --raw /api/v1/namespaces/NS/pods/db-0 -f -"],
    ["evict", "evicted", "create --raw /api/v1/namespaces/NS/pods/db-0/eviction -f -"],
  ])(
    "a pod replaced since the plan is left alone: --strategy %s carries the planned pod's UID",
    async (strategy, verb, call) => {
      const ns = await cluster.namespace(`e2e-dr-replaced-${strategy}`);
      const image = `${open().host}/db-${strategy}:latest`;
      const v1 = await pushImage(image, `db ${strategy} v1`);
      await apply(statefulSet("db", ns, 1, { image, ...amd64 }));
      const [planned] = await cluster.sim.waitForPods({ namespace: ns, count: 1, digest: v1 });
      await pushImage(image, `db ${strategy} v2`);
      // Between apply's plan and its request reaching the server, db-0 is force-deleted and the StatefulSet
      // controller makes a new db-0: same name, new UID. The real kubectl then sends apply's request.
      const real = kubectlPath();
      const request = call.replace("NS", ns);
      const uids = join(scratch, `replaced-${strategy}.uids`);
      const shim = join(scratch, `kubectl-replacing-${strategy}`);
      writeFileSync(
        shim,
        `#!/bin/sh
case "$*" in
  *"${request}"*)
    ${real} delete pod db-0 -n ${ns} --grace-period=0 --force >/dev/null 2>&1
    for i in $(seq 1 200); do
      new=$(${real} get pod db-0 -n ${ns} --ignore-not-found -o jsonpath='{.metadata.uid}')
      [ -n "$new" ] && [ "$new" != "${planned!.metadata.uid}" ] && break
      sleep 0.1
    done
    echo "$new" > ${uids};;
esac
exec ${real} "$@"
`,
        { mode: 0o755 },
      );
      const result = await cli(["apply", "--yes", "-n", ns, "--kubectl", shim, "-v", "--strategy", strategy]);
      expect(result.stderr).toContain(`exec: ${shim} ${request}`);
      expect(result.stdout).toContain(`pod ${ns}/db-0 not ${verb}: it was replaced since the plan was made`);
      expect(result.stdout).toContain(`0 ${verb}, 1 replaced since the plan (of 1 planned)`);
      expect(result.code, result.stderr).toBe(0);
      const successor = readFileSync(uids, "utf8").trim();
      expect(successor).toMatch(/^[0-9a-f-]{36}$/);
      expect(successor).not.toBe(planned!.metadata.uid);
      // The successor was not touched: the API server refused the request on its UID precondition.
      await cluster.sim.waitForPods({ namespace: ns, count: 1 });
      expect(await podUids(ns)).toEqual([`db-0 ${successor}`]);
    },
  );

  it("pulls each unique reference once, whatever the pod count and spelling; one list call per kind", async () => {
    const ns = await cluster.namespace("e2e-dr-many");
    const image = `${open().host}/many:latest`;
    const v1 = await pushImage(image, "many v1");
    await apply(
      deployment("tagged", ns, 6, { image, ...amd64 }),
      deployment("untagged", ns, 6, { image: `${open().host}/many`, ...amd64 }),
    );
    await cluster.sim.waitForPods({ namespace: ns, count: 12, digest: v1 });
    await settledWorkloads(ns);
    const docker = dockerShim("docker-many");
    const result = await cli(["plan", "-o", "json", "--docker", docker.path, "-n", ns, "-v"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as PlanDoc;
    expect(doc.pods).toHaveLength(12);
    for (const pod of doc.pods)
      expect(pod.containers[0]).toMatchObject({ status: "current", latestDigest: v1 });
    const pulls = docker
      .log()
      .split("\n")
      .filter((l) => l.startsWith("pull "));
    expect(pulls).toEqual([`pull ${image}`]);
    // One list per kind (one page each here): pods, their ReplicaSets, and ServiceAccounts (pods naming
    // no pull secret).
    expect(kubectlCalls(result.stderr).sort()).toEqual(
      [
        `exec: kubectl get --raw /api/v1/namespaces/${ns}/pods?limit=2000`,
        `exec: kubectl get --raw /apis/apps/v1/namespaces/${ns}/replicasets?limit=2000`,
        `exec: kubectl get --raw /api/v1/namespaces/${ns}/serviceaccounts?limit=2000`,
      ].sort(),
    );
  });
});

describe("docker resolver, multi-arch", () => {
  it("an index: containerd's index digest and CRI-O's platform digest are current, and stale once moved", async () => {
    const ns = await cluster.namespace("e2e-dr-multi");
    const image = `${open().host}/multi:latest`;
    const v1 = await pushIndex(image, { amd64: "multi amd64 v1", arm64: "multi arm64 v1" });
    const on = (node: string) => ({ nodeSelector: { "kubernetes.io/hostname": node } });
    await apply(
      deployment("multi-containerd", ns, 1, { image, ...on("dr-containerd") }),
      deployment("multi-crio", ns, 1, { image, ...on("dr-crio-arm") }),
    );
    await Promise.all([
      cluster.sim.waitForPods({
        namespace: ns,
        selector: "app=multi-containerd",
        count: 1,
        digest: v1.index,
      }),
      cluster.sim.waitForPods({ namespace: ns, selector: "app=multi-crio", count: 1, digest: v1.arm64 }),
    ]);
    await settledWorkloads(ns);
    const verdicts = (doc: PlanDoc) =>
      doc.pods.map(
        (p) => `${p.owner?.name} ${p.action} ${p.containers[0]!.status} ${p.containers[0]!.runningDigest}`,
      );
    const before = await planOf(["-n", ns]);
    expect(verdicts(before)).toEqual([
      `multi-containerd none current ${v1.index}`,
      `multi-crio none current ${v1.arm64}`,
    ]);

    const v2 = await pushIndex(image, { amd64: "multi amd64 v2", arm64: "multi arm64 v2" });
    await removeLocal(image);
    const after = await planOf(["-n", ns]);
    expect(verdicts(after)).toEqual([
      `multi-containerd delete stale ${v1.index}`,
      `multi-crio delete stale ${v1.arm64}`,
    ]);
    expect(after.pods.map((p) => p.containers[0]!.latestDigest)).toEqual([v2.index, v2.index]);
  });
});

describe("docker resolver, credentials", () => {
  it("reaches a private registry only through the pods' dockerconfigjson pull secret, never in argv, output or files", async () => {
    const ns = await cluster.namespace("e2e-dr-private");
    const image = `${priv().host}/secret-app:main`;
    const loginDir = mkdtempSync(join(scratch, "login-"));
    writeFileSync(
      join(loginDir, "config.json"),
      JSON.stringify({
        auths: { [priv().host]: { auth: Buffer.from(`${user.name}:${user.password}`).toString("base64") } },
      }),
    );
    const v1 = await pushImage(image, "secret v1", { configDir: loginDir });
    rmSync(loginDir, { recursive: true, force: true });
    await removeLocal(image);
    await apply(
      dockerConfigSecret("regcred", ns, { [priv().host]: { username: user.name, password: user.password } }),
      deployment("secret-app", ns, 1, { image, pullSecrets: ["regcred"], ...amd64 }),
    );
    await cluster.sim.waitForPods({ namespace: ns, count: 1, digest: v1 });
    await settledWorkloads(ns);

    const docker = dockerShim("docker-private");
    const result = await cli(["plan", "-o", "json", "-n", ns, "--docker", docker.path, "-v"]);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as PlanDoc).pods[0]!.containers[0]).toMatchObject({
      status: "current",
      latestDigest: v1,
    });
    // docker got the secret in a private --config directory; kubectl read exactly that secret.
    expect(docker.log()).toMatch(/^--config \/\S+ pull /m);
    expect(kubectlCalls(result.stderr)).toContain(
      `exec: kubectl get secrets regcred --namespace=${ns} --ignore-not-found -o json`,
    );
    const secrets = [user.password, Buffer.from(`${user.name}:${user.password}`).toString("base64")];
    for (const text of [docker.log(), result.stdout, result.stderr, ...result.files]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect(result.leftovers).toEqual([]);
    expect(result.userConfig).toBe(emptyConfig);

    // Without the secret the tag cannot be read: unknown, with why, and nothing to delete.
    await kk(["delete", "secret", "regcred", "-n", ns]);
    await removeLocal(image);
    const denied = await cli(["plan", "-o", "json", "-n", ns]);
    expect(denied.code, denied.stderr).toBe(0);
    expect((JSON.parse(denied.stdout) as PlanDoc).pods[0]).toMatchObject({
      action: "none",
      containers: [
        { status: "unknown", reason: expect.stringMatching(/^pull failed: .*(unauthorized|no basic auth)/i) },
      ],
    });
    expect(denied.userConfig).toBe(emptyConfig);
  });
});

describe("docker resolver, registry trouble never restarts", () => {
  it("a deleted tag and a stopped registry leave containers unknown, and apply restarts nothing", async () => {
    const ns = await cluster.namespace("e2e-dr-gone");
    const gone = await startRegistry();
    let stopped = false;
    try {
      const image = `${gone.host}/doomed:latest`;
      const v1 = await pushImage(image, "doomed v1");
      await apply(deployment("doomed", ns, 1, { image, ...amd64 }));
      await cluster.sim.waitForPods({ namespace: ns, count: 1, digest: v1 });
      await settledWorkloads(ns);
      const v2 = await pushImage(image, "doomed v2");
      await removeLocal(image);
      expect((await planOf(["-n", ns])).pods[0]).toMatchObject({
        action: "delete",
        containers: [{ status: "stale", latestDigest: v2 }],
      });
      const uids = await podUids(ns);

      await deleteFromRegistry(gone.host, "doomed", v2);
      await removeLocal(image);
      const deleted = await cli(["apply", "-n", ns, "--yes", "-o", "json", "-v"]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect((JSON.parse(deleted.stdout) as PlanDoc).pods[0]).toMatchObject({
        action: "none",
        containers: [
          { status: "unknown", latestDigest: null, reason: expect.stringContaining("pull failed") },
        ],
      });
      expect(deleted.stderr).toContain("Nothing to restart.");

      await gone.stop();
      stopped = true;
      const down = await cli(["apply", "-n", ns, "--yes", "-o", "json", "-v"]);
      expect(down.code, down.stderr).toBe(0);
      expect((JSON.parse(down.stdout) as PlanDoc).pods[0]!.containers[0]).toMatchObject({
        status: "unknown",
        latestDigest: null,
        reason: expect.stringContaining("pull failed"),
      });
      for (const run of [deleted, down]) {
        // No deletion, eviction or patch.
        expect(kubectlCalls(run.stderr).filter((l) => / (delete|create|patch) /.test(l))).toEqual([]);
        expect(kubectlCalls(run.stderr)).not.toEqual([]);
      }
      expect(await podUids(ns)).toEqual(uids);
      expect(cluster.sim.errors).toEqual([]);
    } finally {
      // stop() waits for the registry's exit: only once.
      if (!stopped) await gone.stop();
    }
  });
});
