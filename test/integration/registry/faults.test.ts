/**
 * Registry trouble through a loopback proxy in front of the real registry: every fault leaves the
 * containers `unknown` with a reason (or `current` once a retry succeeds), `apply --yes` deletes nothing,
 * and the run ends within its timeouts. The pods run an old digest of tags that did move, so a fault
 * misread as an answer would show up as `stale` and a deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeCluster } from "../../support/fake-kubectl.js";
import { pushImage } from "../../support/images.js";
import { makeReplicaSet } from "../../support/pods.js";
import { type Registry, startRegistry } from "../../support/registry/distribution.js";
import { type FaultProxy, startFaultProxy } from "../../support/registry/fault-proxy.js";
import { deploymentPod, planOf, removeTempDirs, rows, runPlan } from "../../support/registry/harness.js";

const owners = [makeReplicaSet("web-7d9c8b", "web")];
// Short timeouts so the faults cost seconds: 1 s per request, one retry.
const fast = ["--resolver", "registry", "--registry-timeout", "1s", "--registry-retries", "1"];

let registry: Registry;
let proxy: FaultProxy;
/** name → [old digest the pods run, current digest] */
const images: Record<string, [string, string]> = {};

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  for (const name of ["locked", "forbidden", "flaky", "broken", "nodigest", "garbage"]) {
    const old = await pushImage(`${registry.host}/${name}:latest`, `${name} v1`);
    images[name] = [
      old,
      name === "flaky" || name === "nodigest"
        ? old
        : await pushImage(`${registry.host}/${name}:latest`, `${name} v2`),
    ];
  }
});
afterAll(async () => {
  removeTempDirs();
  await proxy?.stop();
  await registry?.stop();
});

const manifest = (name: string) => new RegExp(`^/v2/${name}/manifests/`);

describe("registry resolver: faults", () => {
  it("401, 403, 404, 500 and garbage → unknown with the reason; 429 then success and a missing digest header → current; nothing deleted", async () => {
    proxy.rules.push(
      {
        path: manifest("locked"),
        fault: { kind: "status", status: 401, headers: { "www-authenticate": 'Basic realm="locked"' } },
      },
      {
        path: manifest("forbidden"),
        fault: {
          kind: "status",
          status: 403,
          body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
        },
      },
      {
        method: "HEAD",
        path: manifest("flaky"),
        fault: { kind: "status", status: 429, headers: { "retry-after": "1" } },
        times: 1,
      },
      { path: manifest("broken"), fault: { kind: "status", status: 500, body: "internal error" } },
      { method: "HEAD", path: manifest("nodigest"), fault: { kind: "strip-digest" } },
      { method: "HEAD", path: manifest("garbage"), fault: { kind: "strip-digest" } },
      {
        method: "GET",
        path: manifest("garbage"),
        fault: {
          kind: "replace-body",
          body: "<html>502 Bad Gateway</html>",
          headers: { "content-type": "text/html" },
        },
      },
    );
    const names = [...Object.keys(images), "gone"];
    const pods = names.map((name) =>
      deploymentPod(`${name}-1`, `${proxy.host}/${name}:latest`, images[name]?.[0] ?? images["locked"]![0]),
    );
    const cluster = new FakeCluster({ pods, objects: owners });

    proxy.requests.length = 0;
    const run = await runPlan(cluster, ["apply", "--yes", "-o", "json", ...fast]);
    expect(rows(run)).toEqual([
      [
        "locked-1",
        "none",
        "unknown",
        `access denied: 401 unauthorized (anonymous); no credential matches ${proxy.host}`,
      ],
      [
        "forbidden-1",
        "none",
        "unknown",
        `access denied: 403 forbidden (anonymous); no credential matches ${proxy.host}`,
      ],
      ["flaky-1", "none", "current", ""],
      ["broken-1", "none", "unknown", "the registry answered 500"],
      ["nodigest-1", "none", "current", ""],
      ["garbage-1", "none", "unknown", "the registry answered something that is not JSON"],
      ["gone-1", "none", "unknown", "tag latest not found (404)"],
    ]);
    expect(planOf(run).pods[4]!.containers[0]!.latestDigest).toBe(images["nodigest"]![1]);
    expect(run.stderr).toContain("Nothing to restart.");
    expect(cluster.podNames()).toEqual(names.map((n) => `${n}-1`));
    expect(
      cluster.calls().some((c) => ["delete", "create", "patch"].some((verb) => c.argv.includes(verb))),
    ).toBe(false);

    const byRepo = (name: string) =>
      proxy.requests.filter((r) => manifest(name).test(r.path)).map((r) => `${r.method} ${r.status}`);
    expect(byRepo("flaky")).toEqual(["HEAD 429", "HEAD 200"]);
    expect(byRepo("broken")).toEqual(["HEAD 500", "HEAD 500"]);
    expect(byRepo("nodigest")).toEqual(["HEAD 200", "GET 200"]);
    expect(byRepo("locked")).toEqual(["HEAD 401"]);
    expect(run.leftovers).toEqual([]);
  });

  it("a registry that never answers: unknown for all its images after one timeout sequence", async () => {
    const stuck = await startFaultProxy(registry.host);
    try {
      stuck.rules.push({ path: /.*/, fault: { kind: "hang" } });
      const pods = ["locked", "broken", "garbage"].map((name) =>
        deploymentPod(`${name}-1`, `${stuck.host}/${name}:latest`, images[name]![0]),
      );
      const cluster = new FakeCluster({ pods, objects: owners });
      const run = await runPlan(cluster, ["apply", "--yes", "-o", "json", ...fast]);
      const reason = `${stuck.host}: no answer within 1000 ms (2 attempts)`;
      expect(rows(run)).toEqual([
        ["locked-1", "none", "unknown", reason],
        ["broken-1", "none", "unknown", reason],
        ["garbage-1", "none", "unknown", reason],
      ]);
      // One version check and its retry; the images behind it are not asked at all.
      expect(stuck.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        "GET /v2/ hung",
        "GET /v2/ hung",
      ]);
      expect(cluster.podNames()).toHaveLength(3);
    } finally {
      await stuck.stop();
    }
  });

  it("manifests that never come while the version check answers: unknown within the timeouts", async () => {
    const slow = await startFaultProxy(registry.host);
    try {
      slow.rules.push({ path: /\/manifests\//, fault: { kind: "hang" } });
      const cluster = new FakeCluster({
        pods: [deploymentPod("broken-1", `${slow.host}/broken:latest`, images["broken"]![0])],
        objects: owners,
      });
      const run = await runPlan(cluster, ["plan", "-o", "json", ...fast]);
      expect(rows(run)).toEqual([
        ["broken-1", "none", "unknown", `${slow.host}: no answer within 1000 ms (2 attempts)`],
      ]);
    } finally {
      await slow.stop();
    }
  });

  it("a registry that is down (connection refused): unknown, and plan still exits 0", async () => {
    const down = await startRegistry();
    const host = down.host;
    await down.stop();
    const cluster = new FakeCluster({
      pods: [deploymentPod("down-1", `${host}/app:latest`, images["broken"]![0])],
      objects: owners,
    });
    const run = await runPlan(cluster, ["plan", "-o", "json", ...fast]);
    const [row] = rows(run);
    expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(row![3]).toMatch(new RegExp(`^${host.replace(/\./g, "\\.")}: .*ECONNREFUSED.*\\(2 attempts\\)$`));
  });
});
