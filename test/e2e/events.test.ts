/**
 * The Events apply records, read back from the real API server (test/testbed) with kubectl after real
 * restarts on simulated nodes:
 * - a Deployment rolled out: Normal ImageUpdated on it, with old → new digest and revision; both Event APIs
 *   (events.k8s.io/v1, which apply writes, and core/v1, which `kubectl describe` reads) show it, and so does
 *   `kubectl describe deployment`;
 * - a StatefulSet's pod evicted: the Event on the StatefulSet, the pod related;
 * - a replacement that cannot pull its new image: Warning ImageUpdateFailed;
 * - install-cron's rules are enough to record it; a user without `events create`: the restart still
 *   happens, one warning line, exit 0;
 * - the webhook: the run's RunReport, posted to a receiver on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { autoupdateRules } from "../../src/cron/core/rbac.js";
import { pushCraftedImage } from "../support/crafted-image.js";
import { apply, kk, plugin, settledWorkloads, useCluster } from "../support/e2e.js";
import { anonymous } from "../support/registry/distribution.js";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.js";
import { deployment, statefulSet } from "../support/workloads.js";

const ns = "e2e-events";
const cluster = useCluster({
  nodes: [{ name: "ev-containerd", runtime: "containerd" }],
  registries: [anonymous],
  namespaces: [ns],
});
const revision = "9f8e7d1c0b2a39485766554433221100ffeeddcc";
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy(cluster.registry.host);
});

afterAll(async () => {
  await proxy?.stop();
});

/**
 * `app:main` pushed as v1, `workload` applied and its `count` pods running v1, then the tag moved to a v2
 * with a revision label: the workload is stale. Returns both digests.
 */
async function staleWorkload(app: string, workload: object, count = 1): Promise<{ v1: string; v2: string }> {
  const push = async (content: string, labels: Record<string, string> = {}) =>
    (
      await pushCraftedImage(cluster.registry.host, app, "main", {
        content,
        created: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        labels,
      })
    ).manifest;
  const v1 = await push(`${app} v1`);
  await apply(workload);
  await cluster.sim.waitForPods({ namespace: ns, selector: `app=${app}`, count, digest: v1 });
  await settledWorkloads(ns, `app=${app}`);
  const v2 = await push(`${app} v2`, { "org.opencontainers.image.revision": revision });
  return { v1, v2 };
}

interface EventV1 {
  type: string;
  reason: string;
  action: string;
  note: string;
  reportingController: string;
  eventTime: string;
  regarding: { kind: string; name: string; uid?: string };
  related?: { kind: string; name: string };
}

/** This tool's Events in the namespace, as events.k8s.io/v1 lists them. */
async function ourEvents(): Promise<EventV1[]> {
  const list = JSON.parse(await kk(["get", "events.events.k8s.io", "-n", ns, "-o", "json"])) as {
    items: EventV1[];
  };
  return list.items.filter((e) => e.reportingController === "kubectl-autoupdate");
}

/** `apply --yes` of one app's pods in the namespace, tags read from the registry; `more` flags after. */
const applyTo = (app: string, ...more: string[]) =>
  plugin(["apply", "--yes", "-n", ns, "-l", `app=${app}`, "--resolver", "registry", ...more]);

const uidOf = async (resource: string, name: string) =>
  (await kk(["get", resource, name, "-n", ns, "-o", "jsonpath={.metadata.uid}"])).trim();

describe("after a real apply, the Events are on the API server", () => {
  it("a rollout: Normal ImageUpdated on the Deployment, in both Event APIs and in kubectl describe", async () => {
    const image = `${cluster.registry.host}/web:main`;
    const { v1, v2 } = await staleWorkload(
      "web",
      deployment("web", ns, 2, { image, pullPolicy: "Always" }),
      2,
    );
    const result = await applyTo("web");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`deployment.apps ${ns}/web restarted (rollout): 2 pods replaced`);
    expect(result.stderr).not.toContain("Event");

    const events = (await ourEvents()).filter((e) => e.regarding.name === "web");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "Normal",
      reason: "ImageUpdated",
      action: "Rollout",
      regarding: { kind: "Deployment", name: "web", uid: await uidOf("deployment", "web") },
      note: `Rolled out for a new image: container app ${image} ${v1} → ${v2}, revision ${revision}`,
    });
    expect(events[0]!.related).toBeUndefined();

    // core/v1, the API `kubectl describe` and `kubectl get events` read: the same Event.
    const core = JSON.parse(
      await kk([
        "get",
        "events",
        "-n",
        ns,
        "--field-selector",
        "involvedObject.kind=Deployment,involvedObject.name=web,reason=ImageUpdated",
        "-o",
        "json",
      ]),
    ) as { items: { type: string; message: string; involvedObject: { uid: string } }[] };
    expect(core.items.map((e) => [e.type, e.message, e.involvedObject.uid])).toEqual([
      ["Normal", events[0]!.note, events[0]!.regarding.uid],
    ]);

    const described = await kk(["describe", "deployment", "web", "-n", ns]);
    expect(described.slice(described.indexOf("\nEvents:"))).toMatch(
      new RegExp(
        `\\n\\s+Normal\\s+ImageUpdated\\s+\\S+\\s+kubectl-autoupdate\\s+Rolled out for a new image: container app \\S+ ${v1} → ${v2}, revision ${revision}\\n`,
      ),
    );
  });

  it("evicted pods: an Event each on the StatefulSet that recreates them, the pod related", async () => {
    const image = `${cluster.registry.host}/db:main`;
    const { v1, v2 } = await staleWorkload("db", statefulSet("db", ns, 1, { image, pullPolicy: "Always" }));
    const result = await applyTo("db", "--strategy", "evict");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`pod ${ns}/db-0 evicted`);
    const events = (await ourEvents()).filter((e) => e.regarding.name === "db");
    expect(events).toEqual([
      expect.objectContaining({
        type: "Normal",
        reason: "ImageUpdated",
        action: "Evict",
        regarding: expect.objectContaining({ kind: "StatefulSet", uid: await uidOf("statefulset", "db") }),
        related: expect.objectContaining({ kind: "Pod", name: "db-0" }),
        note: `Evicted pod db-0 for a new image: container app ${image} ${v1} → ${v2}, revision ${revision}`,
      }),
    ]);
    const described = await kk(["describe", "statefulset", "db", "-n", ns]);
    expect(described).toMatch(
      /\n\s+Normal\s+ImageUpdated\s+\S+\s+kubectl-autoupdate\s+Evicted pod db-0 for a new image: /,
    );
  });

  it("a replacement that cannot pull the new image: Warning ImageUpdateFailed on the Deployment", async () => {
    // The pods name the image through the proxy: the tool asks by HEAD, the simulated kubelet pulls by GET.
    const image = `${proxy.host}/broken:main`;
    await staleWorkload("broken", deployment("broken", ns, 1, { image, pullPolicy: "Always" }));
    // Only the pull of the tag fails; the tool's reads by digest still answer (failing, they would leave the
    // pod unknown and not restarted).
    proxy.rules.push({
      method: "GET",
      path: /\/broken\/manifests\/main$/,
      fault: { kind: "status", status: 503 },
    });
    const result = await applyTo("broken", "--wait-timeout", "6s");
    expect(result.code).toBe(1);
    const events = (await ourEvents()).filter((e) => e.regarding.name === "broken");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "Warning", reason: "ImageUpdateFailed", action: "Rollout" });
    expect(events[0]!.note).toMatch(
      /^Rolled out for a new image, but the rollout did not finish within the wait timeout \(.+\): container app /,
    );
    const described = await kk(["describe", "deployment", "broken", "-n", ns]);
    expect(described).toMatch(
      /\n\s+Warning\s+ImageUpdateFailed\s+\S+\s+kubectl-autoupdate\s+Rolled out for a new image, but /,
    );
  });
});

/** A ServiceAccount bound to exactly these rules in the namespace; its user name, for --as. */
async function account(name: string, rules: object[]): Promise<string> {
  await apply(
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: ns }, rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
    },
  );
  return `system:serviceaccount:${ns}:${name}`;
}

describe("RBAC", () => {
  it("install-cron's rules (events create and list in events.k8s.io, nothing more on Events) are enough to record it", async () => {
    const user = await account("cron-like", autoupdateRules("auto"));
    const image = `${cluster.registry.host}/granted:main`;
    await staleWorkload("granted", deployment("granted", ns, 1, { image, pullPolicy: "Always" }));
    const args = ["apply", "--yes", "-n", ns, "-l", "app=granted", "--resolver", "registry", "--as", user];
    const result = await plugin(args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("Event");
    const granted = (await ourEvents()).filter((e) => e.regarding.name === "granted");
    expect(granted.map((e) => `${e.type} ${e.reason}`)).toEqual(["Normal ImageUpdated"]);
  });

  it("an Event refused fails nothing: the restart happens, exit 0, one warning line", async () => {
    // Everything apply --strategy auto needs, but events create.
    const rules = autoupdateRules("auto").map((r) =>
      r.resources.includes("events") ? { ...r, verbs: r.verbs.filter((verb) => verb !== "create") } : r,
    );
    expect(rules.flatMap((r) => (r.resources.includes("events") ? r.verbs : []))).toEqual(["list"]);
    const user = await account("no-events", rules);
    const image = `${cluster.registry.host}/quiet:main`;
    const { v2 } = await staleWorkload("quiet", deployment("quiet", ns, 1, { image, pullPolicy: "Always" }));
    const result = await applyTo("quiet", "--as", user);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`deployment.apps ${ns}/quiet restarted (rollout): 1 pod replaced`);
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=quiet", count: 1, digest: v2 });
    expect(result.stderr.split("\n").filter((l) => l.includes("Event"))).toEqual([
      `Warning: could not record 1 of 1 Event (the restarts are not affected): Error from server (Forbidden): events.events.k8s.io is forbidden: User "${user}" cannot create resource "events" in API group "events.k8s.io" in the namespace "${ns}"`,
    ]);
    expect((await ourEvents()).filter((e) => e.regarding.name === "quiet")).toEqual([]);
  });
});

describe("the webhook", () => {
  it("a real apply posts its RunReport: the rollout, its pods and the image's move", async () => {
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const dir = mkdtempSync(join(tmpdir(), "kau-e2e-webhook-"));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook/secret-token`;
      writeFileSync(join(dir, "url"), url);
      const image = `${cluster.registry.host}/hook:main`;
      const { v1, v2 } = await staleWorkload(
        "hook",
        deployment("hook", ns, 2, { image, pullPolicy: "Always" }),
        2,
      );
      const result = await applyTo("hook", "--webhook-url-file", join(dir, "url"));
      expect(result.code, result.stderr).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toContain("secret-token");
      expect(bodies).toHaveLength(1);
      const report = JSON.parse(bodies[0]!) as Record<string, unknown>;
      expect(report).toMatchObject({
        kind: "RunReport",
        outcome: "succeeded",
        dryRun: false,
        restarts: [
          {
            namespace: ns,
            kind: "Deployment",
            name: "hook",
            strategy: "rollout",
            outcome: "restarted",
            pods: [expect.stringMatching(/^hook-/), expect.stringMatching(/^hook-/)],
            images: [{ container: "app", image, oldDigest: v1, newDigest: v2 }],
          },
        ],
      });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
