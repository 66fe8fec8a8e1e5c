/**
 * The Events apply records, from the built CLI through the recording fake kubectl (the real API server's side
 * is test/e2e/events.test.ts): one `kubectl create -f -` per restart with the Event on stdin and the
 * connection flags on argv; a refused Event (RBAC) fails nothing and is reported once; a dry run
 * records none.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath } from "../support/cli.js";
import { pushCraftedImage } from "../support/crafted-image.js";
import { FakeCluster, fakeBin } from "../support/fake-kubectl.js";
import { digestOf, makePod, makeReplicaSet, uuidOf } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import { deploymentPod, makeHome, removeTempDirs, runPlan } from "../support/registry/harness.js";

const revision = "9f8e7d1c0b2a39485766554433221100ffeeddcc";
let registry: Registry;
let image: string;
let v1: string;
let v2: string;

beforeAll(async () => {
  registry = await startRegistry();
  v1 = (await pushCraftedImage(registry.host, "evented", "main", { content: "evented v1" })).manifest;
  v2 = (
    await pushCraftedImage(registry.host, "evented", "main", {
      content: "evented v2",
      created: "2026-11-30T11:00:00Z",
      labels: { "org.opencontainers.image.revision": revision },
    })
  ).manifest;
  image = `${registry.host}/evented:main`;
});

afterAll(async () => {
  removeTempDirs();
  await registry?.stop();
});

/** What kubectl 1.35 prints when RBAC refuses `create -f -` of an Event (measured on the test bed, e2e). */
const forbidden =
  'Error from server (Forbidden): error when creating "STDIN": events.events.k8s.io is forbidden: User "system:serviceaccount:default:limited" cannot create resource "events" in API group "events.k8s.io" in the namespace "default"';
/** The same, as the warning names it: "STDIN" says nothing. */
const reported = forbidden.replace('error when creating "STDIN": ', "");

/**
 * Two stale pods of a bare ReplicaSet (auto evicts them: the fake serves no Deployment) and one of
 * a StatefulSet.
 */
function cluster(extra: ConstructorParameters<typeof FakeCluster>[0] = {}) {
  return new FakeCluster({
    pods: [
      deploymentPod("web-1", image, v1),
      deploymentPod("web-2", image, v1),
      makePod({
        name: "db-0",
        owner: { kind: "StatefulSet", name: "db" },
        containers: [{ name: "app", image, runningDigest: v1 }],
      }),
    ],
    objects: [makeReplicaSet("web-7d9c8b", null)],
    ...extra,
  });
}

const apply = ["apply", "--yes", "--no-wait", "--resolver", "registry"];

describe("an Event per restart", () => {
  it("on the controller that recreates each evicted pod, the pod related; old → new digest and revision", async () => {
    const fake = cluster();
    // The run stamps the time to the second.
    const before = Math.floor(Date.now() / 1000) * 1000;
    const result = await runPlan(fake, [...apply, "--context", "prod"]);
    const after = Date.now();
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual([]);
    const creates = fake.calls().filter((c) => c.argv.includes("create") && !c.argv.includes("--raw"));
    expect(creates.map((c) => c.argv)).toEqual([
      ["--context=prod", "create", "-f", "-", "-o", "jsonpath={.metadata.creationTimestamp}"],
      ["--context=prod", "create", "-f", "-", "-o", "jsonpath={.metadata.creationTimestamp}"],
      ["--context=prod", "create", "-f", "-", "-o", "jsonpath={.metadata.creationTimestamp}"],
    ]);
    const events = fake.events();
    const summary = events
      .map((e) => {
        const regarding = e["regarding"] as { kind: string; name: string; uid: string };
        const related = e["related"] as { name: string };
        return `${e["type"]} ${e["reason"]} ${e["action"]} ${regarding.kind}/${regarding.name} ${related.name}`;
      })
      .sort();
    expect(summary).toEqual([
      "Normal ImageUpdated Evict ReplicaSet/web-7d9c8b web-1",
      "Normal ImageUpdated Evict ReplicaSet/web-7d9c8b web-2",
      "Normal ImageUpdated Evict StatefulSet/db db-0",
    ]);
    const web1 = events.find((e) => (e["related"] as { name: string }).name === "web-1")!;
    expect(web1).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { generateName: "web-7d9c8b.autoupdate-", namespace: "default" },
      reportingController: "kubectl-autoupdate",
      regarding: { apiVersion: "apps/v1", uid: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect(web1["note"]).toBe(
      `Evicted pod web-1 for a new image (replacement not checked: --no-wait): container app ${image} ${v1} → ${v2}, revision ${revision}`,
    );
    // Not checked: what it was for and when, so the next runs tell a replacement back on the old digest.
    const annotations = (web1["metadata"] as { annotations?: Record<string, string> }).annotations;
    expect(annotations?.["kubectl-autoupdate/restarted-for"]).toBe(`app=${v1}>${v2}`);
    const restartAt = Date.parse(annotations?.["kubectl-autoupdate/unchecked-restart-at"] ?? "");
    expect(restartAt).toBeGreaterThanOrEqual(before);
    expect(restartAt).toBeLessThanOrEqual(after);
    expect(result.stderr).not.toContain("Event");
  });
});

describe("best-effort", () => {
  it("Events refused by RBAC: every pod restarted, exit 0, one warning line for all three", async () => {
    const fake = cluster({ eventFault: { stderr: `${forbidden}\n` } });
    const result = await runPlan(fake, apply);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual([]);
    expect(result.stdout).toContain("3 evicted (of 3 planned)");
    expect(fake.events()).toHaveLength(3);
    const warnings = result.stderr.split("\n").filter((l) => l.includes("Event"));
    expect(warnings).toEqual([
      `Warning: could not record 3 of 3 Events (the restarts are not affected): ${reported}`,
    ]);
  });

  it("a dry run creates no Event", async () => {
    const fake = cluster();
    const result = await runPlan(fake, [...apply, "--dry-run"]);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toHaveLength(3);
    expect(fake.events()).toEqual([]);
  });
});

/** The ImageUpdateFailed Event an eviction of web-7d9c8b's pod left `minutesAgo`, naming what it was for. */
const failedEvent = (minutesAgo: number, restartedFor = `app=${v1}>${v2}`) => ({
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: {
    name: "web-7d9c8b.autoupdate-f1rst",
    namespace: "default",
    annotations: { "kubectl-autoupdate/restarted-for": restartedFor },
  },
  eventTime: new Date(Date.now() - minutesAgo * 60_000).toISOString().replace("Z", "000Z"),
  reportingController: "kubectl-autoupdate",
  reason: "ImageUpdateFailed",
  type: "Warning",
  regarding: {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: "web-7d9c8b",
    namespace: "default",
    uid: uuidOf("default/ReplicaSet/web-7d9c8b"),
  },
});
const withEvent = (event: object) => cluster({ objects: [makeReplicaSet("web-7d9c8b", null), event] });

describe("a signal once every restart is made", () => {
  it("SIGTERM while the Events are recorded: they are, and the run ends on its outcomes (exit 0), not interrupted", async () => {
    const fake = cluster();
    // Every Event takes two seconds: the signal comes after the last eviction, while they are recorded.
    const kubectl = join(fake.dir, "kubectl");
    const wrapper = ["#!/bin/sh", 'case "$*" in *"create -f - -o name"*) sleep 2 ;; esac'];
    writeFileSync(kubectl, `${[...wrapper, `exec "${fakeBin}/kubectl" "$@"`].join("\n")}\n`, { mode: 0o755 });
    const resultFile = join(fake.dir, "termination-log");
    const home = makeHome({ auths: {} });
    const child = spawn(process.execPath, [cliPath, ...apply, "--kubectl", kubectl], {
      env: {
        ...process.env,
        ...fake.env(),
        HOME: home.dir,
        DOCKER_CONFIG: home.dockerConfig,
        TMPDIR: home.tmp,
        NO_COLOR: "1",
        KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (signalled || (stdout.match(/ evicted\n/g) ?? []).length < 3) return;
      // Once: a second signal leaves at once.
      signalled = child.kill("SIGTERM");
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(signalled).toBe(true);
    expect(stdout).toContain("3 evicted (of 3 planned)");
    expect(stderr).not.toContain("interrupted");
    expect(fake.events()).toHaveLength(3);
    const result = readFileSync(resultFile, "utf8");
    expect(result).toMatch(/^3 evicted \(of 3 planned\); /);
    expect(result).not.toContain("error");
    expect(code, stderr).toBe(0);
  });
});

describe("a restart in vain, remembered by its Event", () => {
  it("leaves that ReplicaSet's stale pods, evicts the others; this tool's Events are read once", async () => {
    const fake = withEvent(failedEvent(5));
    const result = await runPlan(fake, apply);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual(["web-1", "web-2"]);
    expect(result.stdout).toMatch(
      /web-1 .*skip .*ReplicaSet\/web-7d9c8b restarted a pod for [0-9a-f]{12} 5m ago, which came back on the old digest/,
    );
    const reads = fake.calls().filter((c) => c.argv.some((a) => a.startsWith("/apis/events.k8s.io/")));
    expect(reads.map((c) => c.argv)).toEqual([
      [
        "get",
        "--raw",
        "/apis/events.k8s.io/v1/namespaces/default/events?limit=2000&fieldSelector=reportingController%3Dkubectl-autoupdate",
      ],
    ]);
    // Young enough: not recorded again. Only db-0's eviction is.
    expect(fake.events().map((e) => e["reason"])).toEqual(["ImageUpdated"]);
  });

  it("20 minutes old or more: recorded again, once, with what it was for, even when nothing else is restarted", async () => {
    const fake = withEvent(failedEvent(30));
    const result = await runPlan(fake, [...apply, "-l", "app=web"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Nothing to restart.");
    const held = fake.events();
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({
      reason: "ImageUpdateHeld",
      type: "Normal",
      action: "Hold",
      metadata: { annotations: { "kubectl-autoupdate/restarted-for": `app=${v1}>${v2}` } },
      regarding: { kind: "ReplicaSet", name: "web-7d9c8b" },
    });
    expect(held[0]!["note"]).toMatch(/^Left pods web-1, web-2: ReplicaSet\/web-7d9c8b restarted a pod for /);
  });

  it("for another digest (the tag moved since): evicted as usual", async () => {
    const fake = withEvent(failedEvent(5, `app=${v1}>${digestOf("evented v3")}`));
    const result = await runPlan(fake, apply);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual([]);
  });
});

describe("an unchecked restart (--no-wait), remembered by its Event", () => {
  /** The ImageUpdated Event of web-7d9c8b's pod evicted `minutesAgo` by an apply --no-wait. */
  const uncheckedEvent = (minutesAgo: number) => {
    const event = failedEvent(minutesAgo);
    const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
    return {
      ...event,
      metadata: {
        ...event.metadata,
        annotations: { ...event.metadata.annotations, "kubectl-autoupdate/unchecked-restart-at": at },
      },
      reason: "ImageUpdated",
      type: "Normal",
    };
  };
  /** web-1 made `minutesAgo` (the replacement, back on the cached v1), web-2 long before. */
  const withReplacement = (minutesAgo: number, event: object) => {
    const made = new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
    return new FakeCluster({
      pods: [
        deploymentPod("web-1", image, v1, { creationTimestamp: made }),
        deploymentPod("web-2", image, v1),
      ],
      objects: [makeReplicaSet("web-7d9c8b", null), event],
    });
  };

  it("leaves the pod made since on the old digest, and the one made before: it proved the restart in vain; creation times by one list", async () => {
    const fake = withReplacement(4, uncheckedEvent(5));
    const result = await runPlan(fake, apply);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual(["web-1", "web-2"]);
    expect(result.stdout).toMatch(
      /web-1 .*skip .*ReplicaSet\/web-7d9c8b restarted a pod for [0-9a-f]{12} 5m ago without checking its replacement, and this pod, made since, came back on the old digest/,
    );
    expect(result.stdout).toMatch(
      /web-2 .*skip .*without checking its replacement, and a pod made since came back/,
    );
    const dated = fake
      .calls()
      .filter((c) => c.argv.some((a) => a.includes("/pods?") && a.includes("labelSelector")));
    expect(dated.map((c) => c.argv)).toEqual([
      ["get", "--raw", "/api/v1/namespaces/default/pods?limit=2000&labelSelector=app%3Dweb"],
    ]);
  });

  it("the one made before is evicted where no pod made since is in scope to prove the restart in vain", async () => {
    const fake = withReplacement(4, uncheckedEvent(5));
    const result = await runPlan(fake, [...apply, "--field-selector", "metadata.name=web-2"]);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual(["web-1"]);
  });

  it("20 minutes old or more: the Hold records it again, as checked now, from the same restart time", async () => {
    const event = uncheckedEvent(30);
    const fake = withReplacement(29, event);
    const result = await runPlan(fake, [...apply, "--field-selector", "metadata.name=web-1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Nothing to restart.");
    const held = fake.events();
    expect(held.map((e) => e["reason"])).toEqual(["ImageUpdateHeld"]);
    const { "kubectl-autoupdate/unchecked-restart-at": restartAt, ...checked } = event.metadata.annotations;
    expect((held[0]!["metadata"] as { annotations: Record<string, string> }).annotations).toEqual({
      ...checked,
      "kubectl-autoupdate/first-recorded-at": restartAt,
    });
  });
});

describe("a restart in vain, kept in the record ConfigMap ($KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP)", () => {
  const env = { KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: "default/autoupdate" };
  const key = `default.${uuidOf("default/ReplicaSet/web-7d9c8b")}`;
  /** The record of web-7d9c8b's eviction `minutesAgo`, as apply keeps it. */
  const record = (minutesAgo: number) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "autoupdate", namespace: "default" },
    data: {
      [key]: JSON.stringify({
        namespace: "default",
        kind: "ReplicaSet",
        name: "web-7d9c8b",
        uid: uuidOf("default/ReplicaSet/web-7d9c8b"),
        restarts: [
          { restartedFor: `app=${v1}>${v2}`, at: new Date(Date.now() - minutesAgo * 60_000).toISOString() },
        ],
      }),
    },
  });
  const patches = (fake: FakeCluster) => fake.calls().filter((c) => c.argv.includes("patch"));
  /** The merge patch a call sent: the data keys it sets, each record's `at` as an age in minutes. */
  function patchOf(call: { argv: string[] }): Record<string, number | null> {
    const patch = JSON.parse(call.argv.find((a) => a.startsWith("--patch="))!.slice("--patch=".length));
    return Object.fromEntries(
      Object.entries(patch.data as Record<string, string | null>).map(([k, v]) => [
        k,
        v === null ? null : Math.round((Date.now() - Date.parse(JSON.parse(v).restarts[0].at)) / 60_000),
      ]),
    );
  }

  it("with no Event left (expired): the record leaves web's pods, and the run stamps it again, that key only", async () => {
    const fake = cluster({ objects: [makeReplicaSet("web-7d9c8b", null), record(24 * 60)] }).on(
      ["patch", "configmap"],
      { stdout: "configmap/autoupdate patched\n" },
    );
    const result = await runPlan(fake, apply, { env });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual(["web-1", "web-2"]);
    expect(result.stdout).toMatch(
      /web-1 .*skip .*ReplicaSet\/web-7d9c8b restarted a pod for [0-9a-f]{12} 24h ago, which came back on the old digest/,
    );
    const reads = fake.calls().filter((c) => c.argv.includes("configmaps"));
    expect(reads.map((c) => c.argv)).toEqual([
      ["get", "configmaps", "autoupdate", "--namespace=default", "--ignore-not-found", "-o", "json"],
      ["get", "configmaps", "autoupdate", "--namespace=default", "--ignore-not-found", "-o", "json"],
    ]);
    expect(patches(fake)).toHaveLength(1);
    expect(patches(fake)[0]!.argv.slice(0, 4)).toEqual([
      "patch",
      "configmap",
      "autoupdate",
      "--namespace=default",
    ]);
    expect(patchOf(patches(fake)[0]!)).toEqual({ [key]: 0 });
    // The Event is recorded again too, for whoever reads Events.
    expect(
      fake
        .events()
        .map((e) => e["reason"])
        .sort(),
    ).toEqual(["ImageUpdateHeld", "ImageUpdated"]);
    expect(result.stderr).not.toContain("could not");
  });

  it("without the variable the ConfigMap is neither read nor written: web's pods are evicted again", async () => {
    const fake = cluster({ objects: [makeReplicaSet("web-7d9c8b", null), record(24 * 60)] });
    const result = await runPlan(fake, apply);
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual([]);
    expect(fake.calls().filter((c) => c.argv.includes("configmaps") || c.argv.includes("configmap"))).toEqual(
      [],
    );
  });

  it("plan and apply --dry-run read the record and write nothing, however old it is", async () => {
    for (const args of [
      ["plan", "--resolver", "registry"],
      [...apply, "--dry-run"],
    ]) {
      const fake = cluster({ objects: [makeReplicaSet("web-7d9c8b", null), record(24 * 60)] });
      const result = await runPlan(fake, args, { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/web-1 .*skip .*ReplicaSet\/web-7d9c8b restarted a pod for /);
      // The one read; no patch, no create (an eviction's dry run is the only other call that could write).
      const onRecord = fake
        .calls()
        .filter((c) => c.argv.some((a) => a.startsWith("configmap")) || c.stdin.includes('"ConfigMap"'));
      expect(onRecord.map((c) => c.argv[0])).toEqual(["get"]);
    }
  });

  it("a record young enough is not written again; nor is anything when no pod is left or restarted in vain", async () => {
    const fake = cluster({ objects: [makeReplicaSet("web-7d9c8b", null), record(5)] });
    const result = await runPlan(fake, apply, { env });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual(["web-1", "web-2"]);
    expect(patches(fake)).toEqual([]);
  });

  it("no such ConfigMap yet (a run by hand): the first write makes it, with the record", async () => {
    const fake = withEvent(failedEvent(30)).on(["patch", "configmap"], {
      stderr: 'Error from server (NotFound): configmaps "autoupdate" not found\n',
      exitCode: 1,
    });
    const result = await runPlan(fake, [...apply, "-l", "app=web"], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("could not");
    const created = fake
      .calls()
      .filter((c) => c.argv.includes("create") && c.stdin.includes('"kind":"ConfigMap"'))
      .map((c) => JSON.parse(c.stdin));
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "autoupdate", namespace: "default" },
    });
    expect(JSON.parse(created[0].data[key])).toMatchObject({
      kind: "ReplicaSet",
      name: "web-7d9c8b",
      restarts: [{ restartedFor: `app=${v1}>${v2}` }],
    });
  });

  it("unreadable (RBAC): one warning, the Events still count", async () => {
    const fake = withEvent(failedEvent(5));
    fake.on(["get", "configmaps"], {
      stderr:
        'Error from server (Forbidden): configmaps "autoupdate" is forbidden: User "limited" cannot get resource "configmaps" in API group "" in the namespace "default"\n',
      exitCode: 1,
    });
    const result = await runPlan(fake, apply, { env });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual(["web-1", "web-2"]);
    expect(result.stderr.split("\n").filter((l) => l.includes("configmap"))).toEqual([
      'Warning: configmap default/autoupdate could not be read, so a pod restarted in vain before may be restarted again: kubectl get failed: Error from server (Forbidden): configmaps "autoupdate" is forbidden: User "limited" cannot get resource "configmaps" in API group "" in the namespace "default"',
    ]);
  });

  it("a write refused: every planned pod restarted, the exit code unchanged, one warning line", async () => {
    const fake = cluster({ objects: [makeReplicaSet("web-7d9c8b", null), record(60)] }).on(
      ["patch", "configmap"],
      {
        stderr:
          'Error from server (Forbidden): configmaps "autoupdate" is forbidden: User "limited" cannot patch resource "configmaps" in API group "" in the namespace "default"\n',
        exitCode: 1,
      },
    );
    const result = await runPlan(fake, apply, { env });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual(["web-1", "web-2"]);
    expect(result.stdout).toContain("1 evicted (of 1 planned)");
    expect(result.stderr.split("\n").filter((l) => l.includes("configmap"))).toEqual([
      'Warning: could not keep the restarts in vain in configmap default/autoupdate (the restarts are not affected): Error from server (Forbidden): configmaps "autoupdate" is forbidden: User "limited" cannot patch resource "configmaps" in API group "" in the namespace "default"',
    ]);
  });
});
