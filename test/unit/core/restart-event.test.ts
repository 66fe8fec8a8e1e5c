/** The Event recorded after each restart: its object as events.k8s.io/v1 takes it, and its note. */
import { describe, expect, it } from "vitest";
import type { PlanContainer, PlanPod } from "../../../src/core/plan.js";
import { holdEvent, restartEvent, restartNote, truncateBytes } from "../../../src/core/restart-event.js";
import type { CompletedRestart } from "../../../src/core/restart-outcomes.js";
import { planContainer, planPod } from "../../support/plan-pods.js";

const oldDigest = `sha256:${"0e02c92c72ee".padEnd(64, "0")}`;
const newDigest = `sha256:${"c7ede51f2d83".padEnd(64, "1")}`;
const revision = "9f8e7d1c0b2a39485766554433221100ffeeddcc";
const now = Date.parse("2026-11-30T12:00:00.123Z");

function container(overrides: Partial<PlanContainer> = {}): PlanContainer {
  return planContainer({
    runningDigest: oldDigest,
    latestDigest: newDigest,
    latestImage: { created: "2026-11-30T11:48:00Z", revision, version: "1.2.3" },
    ...overrides,
  });
}

function pod(name: string, containers = [container()]): PlanPod {
  return planPod(name, { containers });
}

const rollout = (replacement: CompletedRestart["replacement"]): CompletedRestart => ({
  strategy: "rollout",
  namespace: "shop",
  regarding: { kind: "Deployment", name: "web", uid: "uid-web" },
  pods: [pod("web-7d9c8b-a"), pod("web-7d9c8b-b")],
  replacement,
});

describe("the Event object", () => {
  it("a rollout that came up: Normal ImageUpdated on the Deployment, with its UID (kubectl describe finds it by it)", () => {
    expect(restartEvent(rollout({ kind: "up" }), now, "cron-29210-abcde")).toEqual({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { generateName: "web.autoupdate-", namespace: "shop" },
      eventTime: "2026-11-30T12:00:00.123000Z",
      reportingController: "kubectl-autoupdate",
      reportingInstance: "cron-29210-abcde",
      action: "Rollout",
      reason: "ImageUpdated",
      type: "Normal",
      regarding: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "web",
        namespace: "shop",
        uid: "uid-web",
      },
      note: `Rolled out for a new image: container app registry.example.com/shop/web:main ${oldDigest} → ${newDigest}, revision ${revision}, version 1.2.3`,
    });
  });

  it("an evicted pod whose replacement came back on the old digest: Warning ImageUpdateFailed on its controller, the pod related", () => {
    const evicted = pod("db-0");
    const event = restartEvent(
      {
        strategy: "evict",
        namespace: "shop",
        regarding: { kind: "StatefulSet", name: "db", uid: "uid-db" },
        pod: evicted,
        pods: [evicted],
        replacement: {
          kind: "problem",
          reason: "the replacement of db-0 runs the old digest again (container app)",
          restartedFor: `app=${newDigest}`,
        },
      },
      now,
      "laptop",
    );
    expect(event).toMatchObject({
      action: "Evict",
      reason: "ImageUpdateFailed",
      type: "Warning",
      regarding: { apiVersion: "apps/v1", kind: "StatefulSet", name: "db", namespace: "shop", uid: "uid-db" },
      related: { apiVersion: "v1", kind: "Pod", name: "db-0", namespace: "shop", uid: "uid-db-0" },
      // What the restart was for: the next runs read it and leave the StatefulSet's stale pods.
      metadata: {
        generateName: "db.autoupdate-",
        namespace: "shop",
        annotations: { "kubectl-autoupdate/restarted-for": `app=${newDigest}` },
      },
    });
    expect(event["note"]).toBe(
      `Evicted pod db-0 for a new image, but the replacement of db-0 runs the old digest again (container app): container app registry.example.com/shop/web:main ${oldDigest} → ${newDigest}, revision ${revision}, version 1.2.3`,
    );
  });

  it("a ReplicationController's deleted pod: the core group's v1; a missing UID is left out, not empty", () => {
    const deleted = pod("legacy-x");
    const event = restartEvent(
      {
        strategy: "delete",
        namespace: "shop",
        regarding: { kind: "ReplicationController", name: "legacy" },
        pod: deleted,
        pods: [deleted],
        replacement: { kind: "unchecked", why: "--no-wait" },
      },
      now,
      "",
    );
    expect(event["regarding"]).toEqual({
      apiVersion: "v1",
      kind: "ReplicationController",
      name: "legacy",
      namespace: "shop",
    });
    expect(event).toMatchObject({ action: "Delete", reason: "ImageUpdated", type: "Normal" });
    // An empty instance would be refused: the reporter stands in.
    expect(event["reportingInstance"]).toBe("kubectl-autoupdate");
    expect(event["note"]).toMatch(
      /^Deleted pod legacy-x for a new image \(replacement not checked: --no-wait\): /,
    );
  });

  it("an evicted pod not checked (--no-wait, an interrupt): Normal, with what it was for and when, for the next runs", () => {
    const evicted = pod("web-7d9c8b-a");
    const restart = (replacement: CompletedRestart["replacement"]): CompletedRestart => ({
      strategy: "evict",
      namespace: "shop",
      regarding: { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" },
      pod: evicted,
      pods: [evicted],
      replacement,
    });
    const restartedAt = now - 1500;
    const event = restartEvent(
      restart({ kind: "unchecked", why: "--no-wait", restartedFor: `app=${newDigest}`, restartedAt }),
      now,
      "ci",
    );
    expect(event).toMatchObject({ action: "Evict", reason: "ImageUpdated", type: "Normal" });
    expect(event.metadata.annotations).toEqual({
      "kubectl-autoupdate/restarted-for": `app=${newDigest}`,
      "kubectl-autoupdate/unchecked-restart-at": "2026-11-30T11:59:58.623Z",
    });
    // Without its time it would read as a checked record: none.
    const timeless = restartEvent(
      restart({ kind: "unchecked", why: "--no-wait", restartedFor: `app=${newDigest}` }),
      now,
      "ci",
    );
    expect(timeless.metadata.annotations).toBeUndefined();
    // Not up in time, and not seen on the old digest: a Warning, remembered as not checked.
    const slow = restartEvent(
      restart({
        kind: "problem",
        reason: "not Ready in time",
        restartedFor: `app=${newDigest}`,
        restartedAt,
      }),
      now,
      "ci",
    );
    expect(slow).toMatchObject({ reason: "ImageUpdateFailed", type: "Warning" });
    expect(slow.metadata.annotations).toEqual(event.metadata.annotations);
    // Up on a digest the plan did not name: Normal, with what it came back on, as a checked record.
    const elsewhere = restartEvent(restart({ kind: "up", restartedFor: `app=${newDigest}` }), now, "ci");
    expect(elsewhere).toMatchObject({ reason: "ImageUpdated", type: "Normal" });
    expect(elsewhere.metadata.annotations).toEqual({
      "kubectl-autoupdate/restarted-for": `app=${newDigest}`,
    });
  });

  it("a failed rollout (patched, then past its progress deadline) is a Warning too", () => {
    const event = restartEvent(
      rollout({ kind: "problem", reason: "Deployment/web: ProgressDeadlineExceeded" }),
      now,
      "h",
    );
    expect(event).toMatchObject({ type: "Warning", reason: "ImageUpdateFailed", action: "Rollout" });
    expect(event["note"]).toMatch(
      /^Rolled out for a new image, but Deployment\/web: ProgressDeadlineExceeded: /,
    );
  });

  it("the name prefix passes as a DNS subdomain with the server's part after it, however long the object's name", () => {
    const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    for (const name of ["web", "a".repeat(253), `${"a".repeat(199)}-b`, `${"a".repeat(198)}.-b`]) {
      const restart = { ...rollout({ kind: "up" }), regarding: { kind: "Deployment", name } };
      const prefix = restartEvent(restart, now, "h").metadata.generateName;
      expect(`${prefix}x7k2p`).toMatch(subdomain);
      expect(`${prefix}x7k2p`.length).toBeLessThanOrEqual(253);
    }
  });

  it("the reporting instance is cut to the 128 characters the API server allows", () => {
    expect(restartEvent(rollout({ kind: "up" }), now, "h".repeat(300))["reportingInstance"]).toBe(
      "h".repeat(128),
    );
  });
});

describe("the note", () => {
  it("each distinct stale container once; current containers and missing labels left out", () => {
    const sidecar = container({
      name: "proxy",
      image: "envoy:v1",
      runningDigest: `sha256:${"a".repeat(64)}`,
      latestDigest: `sha256:${"b".repeat(64)}`,
      latestImage: { created: null },
    });
    const current = container({ name: "log", status: "current" });
    const pods = [pod("a", [container(), sidecar, current]), pod("b", [container(), sidecar, current])];
    const note = restartNote({ ...rollout({ kind: "up" }), pods });
    expect(note).toBe(
      `Rolled out for a new image: container app registry.example.com/shop/web:main ${oldDigest} → ${newDigest}, revision ${revision}, version 1.2.3; ` +
        `container proxy envoy:v1 sha256:${"a".repeat(64)} → sha256:${"b".repeat(64)}`,
    );
  });

  it("is cut to 1024 bytes of UTF-8 (the API server's limit), never inside a character", () => {
    const many = Array.from({ length: 12 }, (_, i) => container({ name: `c${i}` }));
    const event = restartEvent({ ...rollout({ kind: "up" }), pods: [pod("a", many)] }, now, "h");
    const note = event["note"] as string;
    expect(Buffer.byteLength(note)).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(note)).toBeGreaterThan(1000);
    expect(note.endsWith("…")).toBe(true);
    expect(note).not.toContain("\uFFFD");
  });

  it("truncateBytes keeps short text, and cuts multi-byte text at a boundary", () => {
    expect(truncateBytes("short", 10)).toBe("short");
    // "→" is 3 bytes: 10 bytes leave room for 7 before the 3-byte "…", i.e. two arrows and a half.
    expect(truncateBytes("→→→→→", 10)).toBe("→→…");
  });
});

describe("the Event that records pods left again", () => {
  it("Normal ImageUpdateHeld on the controller, with the same restarted-for, naming the pods and why", () => {
    const left = {
      namespace: "shop",
      controller: { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" },
      restartedFor: `app=${newDigest}`,
      at: now - 30 * 60_000,
    };
    const pods = ["web-7d9c8b-a", "web-7d9c8b-b"].map((name) => ({
      ...pod(name),
      action: "skip" as const,
      reason:
        "ReplicaSet/web-7d9c8b restarted a pod for c7ede51f2d83 30m ago, which came back on the old digest",
    }));
    expect(holdEvent(left, pods, now, "cron-1")).toEqual({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: {
        generateName: "web-7d9c8b.autoupdate-",
        namespace: "shop",
        // When the restart was: the age held pods give it, once this Event is all that remembers it.
        annotations: {
          "kubectl-autoupdate/restarted-for": `app=${newDigest}`,
          "kubectl-autoupdate/first-recorded-at": "2026-11-30T11:30:00.123Z",
        },
      },
      eventTime: "2026-11-30T12:00:00.123000Z",
      reportingController: "kubectl-autoupdate",
      reportingInstance: "cron-1",
      action: "Hold",
      reason: "ImageUpdateHeld",
      type: "Normal",
      regarding: {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "web-7d9c8b",
        namespace: "shop",
        uid: "uid-rs",
      },
      note: "Left pods web-7d9c8b-a, web-7d9c8b-b: ReplicaSet/web-7d9c8b restarted a pod for c7ede51f2d83 30m ago, which came back on the old digest",
    });
  });

  it("pods left for an unchecked restart: the record again, with when that restart was", () => {
    const left = {
      namespace: "shop",
      controller: { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" },
      restartedFor: `app=${newDigest}`,
      at: now - 30 * 60_000,
      uncheckedRestartAt: Date.parse("2026-11-30T11:29:58Z"),
    };
    const event = holdEvent(
      left,
      [{ ...pod("web-7d9c8b-a"), action: "skip", reason: "made since" }],
      now,
      "h",
    );
    expect(event.metadata.annotations).toEqual({
      "kubectl-autoupdate/restarted-for": `app=${newDigest}`,
      "kubectl-autoupdate/unchecked-restart-at": "2026-11-30T11:29:58.000Z",
    });
  });
});
