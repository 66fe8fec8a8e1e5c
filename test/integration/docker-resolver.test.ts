/**
 * `plan` and `apply` with the docker resolver against a real Docker engine and real registries.
 * kubectl is the recording fake (test/bin/kubectl): the real control plane has its own e2e suite.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeCluster, pullSecret, runCli } from "../support/cli.js";
import { deleteFromRegistry, pushImage, pushIndex, removeLocal } from "../support/images.js";
import { makePod, makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry.js";

let open: Registry;
let priv: Registry;
const user = { user: "ci", password: "s3cr3t-Pa55word" };

beforeAll(async () => {
  [open, priv] = await Promise.all([startRegistry(), startRegistry({ htpasswd: user })]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), priv?.stop()]);
});

/** A Deployment's pod running `image` at `digest`, as a containerd node reports it. */
function deploymentPod(
  name: string,
  image: string,
  digest: string,
  extra: Parameters<typeof makePod>[0] | object = {},
) {
  return makePod({
    name,
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    containers: [{ name: "app", image, runningDigest: digest }],
    ...extra,
  });
}

/** Runs the CLI against the fake cluster with the test engine and a private, watched docker config. */
function cli(cluster: FakeCluster, args: string[]) {
  const home = mkdtempSync(join(tmpdir(), "kau-home-"));
  const userConfig = join(home, ".docker");
  mkdirSync(userConfig);
  writeFileSync(join(userConfig, "config.json"), '{"auths":{}}\n');
  const tmp = mkdtempSync(join(tmpdir(), "kau-tmp-"));
  const env = cluster.env({
    DOCKER_HOST: inject("dockerHost"),
    DOCKER_CONFIG: userConfig,
    HOME: home,
    TMPDIR: tmp,
  });
  return runCli(args, env).then((result) => ({
    ...result,
    userConfig: readFileSync(join(userConfig, "config.json"), "utf8"),
    leftovers: readdirSync(tmp),
  }));
}

describe("docker resolver, tag moved or not", () => {
  it("current before the push, stale after; apply --yes deletes exactly the stale pods", async () => {
    const image = `${open.host}/web:latest`;
    const v1 = await pushImage(image, "web v1");
    const cluster = new FakeCluster({
      pods: [
        deploymentPod("web-7d9c8b-aaaaa", image, v1),
        deploymentPod("web-7d9c8b-bbbbb", image, v1, { runtime: "cri-dockerd" }),
        makePod({ name: "bare", owner: null, containers: [{ name: "app", image, runningDigest: v1 }] }),
      ],
      objects: [makeReplicaSet("web-7d9c8b", "web")],
    });

    const before = await cli(cluster, ["plan", "-o", "json"]);
    expect(before.code, before.stderr).toBe(0);
    const doc = JSON.parse(before.stdout);
    expect(doc).toMatchObject({ apiVersion: "kubectl-autoupdate/v1", kind: "Plan", resolver: "docker" });
    expect(doc.pods.map((p: { action: string }) => p.action)).toEqual(["none", "none", "none"]);
    expect(doc.pods[0].containers[0]).toMatchObject({
      status: "current",
      runningDigest: v1,
      latestDigest: v1,
    });

    const v2 = await pushImage(image, "web v2");
    await removeLocal(image);
    const after = await cli(cluster, ["plan", "-o", "json"]);
    const moved = JSON.parse(after.stdout);
    expect(moved.pods.map((p: { name: string; action: string }) => [p.name, p.action])).toEqual([
      ["web-7d9c8b-aaaaa", "delete"],
      ["web-7d9c8b-bbbbb", "delete"],
      ["bare", "skip"],
    ]);
    expect(moved.pods[1].containers[0]).toMatchObject({
      status: "stale",
      runningDigest: v1,
      latestDigest: v2,
    });

    const table = await cli(cluster, ["plan"]);
    expect(table.stdout).toMatch(
      /^NAMESPACE\s+POD\s+OWNER\s+CONTAINER\s+IMAGE\s+RUNNING\s+LATEST\s+ACTION\s+REASON\n/,
    );
    expect(table.stdout).toContain(
      `Deployment/web   app         ${image}   ${v1.slice(7, 19)}   ${v2.slice(7, 19)}   delete`,
    );
    expect(table.stdout).toContain("no controller owns it");
    expect(table.stdout).toContain(
      "2 pods to delete in 1 namespace, 1 skipped, 0 unknown, 0 current (3 pods checked)",
    );

    const gate = await cli(cluster, ["plan", "--exit-code"]);
    expect(gate.code).toBe(2);
    const deletedBefore = cluster.podNames();
    const dry = await cli(cluster, ["apply", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(cluster.podNames()).toEqual(deletedBefore);
    expect(dry.stdout).toContain("pod default/web-7d9c8b-aaaaa deleted (server dry run)");

    const refused = await cli(cluster, ["apply"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refusing to delete 2 pods without confirmation");
    expect(cluster.podNames()).toEqual(deletedBefore);

    const applied = await cli(cluster, ["apply", "--yes", "--no-wait"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(cluster.podNames()).toEqual(["bare"]);
    const deletions = cluster
      .calls()
      .filter((c) => c.argv.includes("delete") && !c.argv.includes("--dry-run=server"));
    expect(deletions.map((c) => c.argv.find((a) => a.startsWith("/api/")))).toEqual([
      "/api/v1/namespaces/default/pods/web-7d9c8b-aaaaa",
      "/api/v1/namespaces/default/pods/web-7d9c8b-bbbbb",
    ]);
    expect(JSON.parse(deletions[0]!.stdin)).toMatchObject({ preconditions: { uid: expect.any(String) } });

    for (const run of [before, after, table, gate, dry, refused, applied]) {
      expect(run.userConfig).toBe('{"auths":{}}\n');
      expect(run.leftovers).toEqual([]);
    }
  });

  it("pulls each unique reference once, whatever the pod count and spelling", async () => {
    const image = `${open.host}/many:latest`;
    const v1 = await pushImage(image, "many v1");
    const spellings = [image, `${open.host}/many`, image];
    const pods = Array.from({ length: 12 }, (_, i) => deploymentPod(`many-${i}`, spellings[i % 3]!, v1));
    const cluster = new FakeCluster({ pods, objects: [makeReplicaSet("web-7d9c8b", "web")] });
    const dockerLog = join(cluster.dir, "docker.log");
    const shim = join(cluster.dir, "docker");
    writeFileSync(shim, `#!/bin/sh\necho "$*" >> ${dockerLog}\nexec docker "$@"\n`, { mode: 0o755 });
    const result = await cli(cluster, ["plan", "-o", "json", "--docker", shim, "-n", "default"]);
    expect(result.code, result.stderr).toBe(0);
    const pulls = readFileSync(dockerLog, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("pull "));
    expect(pulls).toEqual([`pull ${image}`]);
    // One list per kind: pods, their ReplicaSets, and ServiceAccounts (pods naming no pull secret).
    expect(
      cluster
        .calls()
        .map((c) => c.argv.slice(0, 3).join(" "))
        .sort(),
    ).toEqual([
      "get pods --namespace=default",
      "get replicasets.apps --namespace=default",
      "get serviceaccounts --namespace=default",
    ]);
  });
});

describe("docker resolver, multi-arch", () => {
  it("an index: containerd's index digest and CRI-O's platform digest are current, and stale once moved", async () => {
    const image = `${open.host}/multi:latest`;
    const v1 = await pushIndex(image, { amd64: "multi amd64 v1", arm64: "multi arm64 v1" });
    const pods = [
      deploymentPod("multi-containerd", image, v1.index),
      deploymentPod("multi-crio", image, v1.arm64, { runtime: "cri-o", node: "arm-node" }),
    ];
    const cluster = new FakeCluster({ pods, objects: [makeReplicaSet("web-7d9c8b", "web")] });
    const before = JSON.parse((await cli(cluster, ["plan", "-o", "json"])).stdout);
    expect(before.pods.map((p: { containers: { status: string }[] }) => p.containers[0]!.status)).toEqual([
      "current",
      "current",
    ]);

    await pushIndex(image, { amd64: "multi amd64 v2", arm64: "multi arm64 v2" });
    await removeLocal(image);
    const after = await cli(cluster, ["plan", "-o", "json"]);
    expect(after.code, after.stderr).toBe(0);
    expect(
      JSON.parse(after.stdout).pods.map((p: { action: string; containers: { status: string }[] }) => [
        p.action,
        p.containers[0]!.status,
      ]),
    ).toEqual([
      ["delete", "stale"],
      ["delete", "stale"],
    ]);
  });
});

describe("docker resolver, credentials", () => {
  it("reaches a private registry only through the pods' dockerconfigjson pull secret, never in argv or files", async () => {
    const image = `${priv.host}/secret-app:main`;
    const loginDir = mkdtempSync(join(tmpdir(), "kau-login-"));
    writeFileSync(
      join(loginDir, "config.json"),
      JSON.stringify({
        auths: { [priv.host]: { auth: Buffer.from(`${user.user}:${user.password}`).toString("base64") } },
      }),
    );
    const v1 = await pushImage(image, "secret v1", { configDir: loginDir });
    await removeLocal(image);
    const pod = (name: string, secrets?: string[]) =>
      deploymentPod(name, image, v1, secrets ? { imagePullSecrets: secrets } : {});
    const cluster = new FakeCluster({
      pods: [pod("with-secret", ["regcred"])],
      objects: [makeReplicaSet("web-7d9c8b", "web")],
      secrets: [
        pullSecret("regcred", "default", { [priv.host]: { username: user.user, password: user.password } }),
      ],
    });
    const dockerLog = join(cluster.dir, "docker.log");
    const shim = join(cluster.dir, "docker");
    writeFileSync(shim, `#!/bin/sh\necho "$*" >> ${dockerLog}\nexec docker "$@"\n`, { mode: 0o755 });

    const result = await cli(cluster, ["plan", "-o", "json", "--docker", shim, "-v"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).pods[0].containers[0]).toMatchObject({
      status: "current",
      latestDigest: v1,
    });
    const calls = readFileSync(dockerLog, "utf8");
    expect(calls).toMatch(/^--config \/\S+ pull /m);
    expect(cluster.calls().map((c) => c.argv.slice(0, 3).join(" "))).toContain("get secrets regcred");
    for (const text of [
      calls,
      result.stdout,
      result.stderr,
      JSON.stringify(cluster.calls().map((c) => c.argv)),
    ]) {
      expect(text).not.toContain(user.password);
      expect(text).not.toContain(Buffer.from(`${user.user}:${user.password}`).toString("base64"));
    }
    expect(result.leftovers).toEqual([]);

    const without = new FakeCluster({
      pods: [pod("no-secret")],
      objects: [makeReplicaSet("web-7d9c8b", "web")],
    });
    const denied = await cli(without, ["plan", "-o", "json"]);
    expect(denied.code, denied.stderr).toBe(0);
    expect(JSON.parse(denied.stdout).pods[0]).toMatchObject({
      action: "none",
      containers: [
        { status: "unknown", reason: expect.stringMatching(/^pull failed: .*(unauthorized|no basic auth)/i) },
      ],
    });
  });
});

describe("docker resolver, registry trouble never deletes", () => {
  it("a deleted tag and a stopped registry leave containers unknown, and apply deletes nothing", async () => {
    const gone = await startRegistry();
    const image = `${gone.host}/doomed:latest`;
    const v1 = await pushImage(image, "doomed v1");
    await pushImage(image, "doomed v2");
    await removeLocal(image);
    const cluster = new FakeCluster({
      pods: [deploymentPod("doomed-1", image, v1)],
      objects: [makeReplicaSet("web-7d9c8b", "web")],
    });
    const v2 = JSON.parse((await cli(cluster, ["plan", "-o", "json"])).stdout).pods[0].containers[0]
      .latestDigest;
    await deleteFromRegistry(gone.host, "doomed", v2);
    await removeLocal(image);

    const deleted = await cli(cluster, ["apply", "--yes", "-o", "json"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout).pods[0]).toMatchObject({
      action: "none",
      containers: [{ status: "unknown", latestDigest: null, reason: expect.stringContaining("pull failed") }],
    });
    expect(deleted.stderr).toContain("Nothing to delete.");

    await gone.stop();
    const down = await cli(cluster, ["apply", "--yes", "-o", "json"]);
    expect(down.code, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout).pods[0].containers[0]).toMatchObject({ status: "unknown" });
    expect(cluster.podNames()).toEqual(["doomed-1"]);
    expect(cluster.calls().some((c) => c.argv.includes("delete"))).toBe(false);
  });
});
