/**
 * What an apply run keeps in the record ConfigMap (pipeline/restart/record-keeper.ts), against a kubectl
 * stand-in that answers as kubectl does and records the calls.
 */
import { describe, expect, it } from "vitest";
import type { ExecOptions } from "../../../../src/adapters/exec.js";
import type { ExecResult } from "../../../../src/adapters/exec-result.js";
import type { CompletedRestart } from "../../../../src/core/restart-outcomes.js";
import type { RememberedRestart } from "../../../../src/core/restarted-for.js";
import { RecordKeeper } from "../../../../src/pipeline/restart/record-keeper.js";
import { recordConfigMap, uncheckedLeftToEvents } from "../../../support/record-configmap.js";

const now = Date.parse("2026-12-02T06:00:00Z");
const uid = "0a1b2c3d-0000-4000-8000-000000000001";
const move = "app=sha256:aaa>sha256:bbb";
const ref = { namespace: "ops", name: "kubectl-autoupdate" };

/** kubectl answering each call with the next of `answers` (the last repeats); every call kept. */
function kubectlAnswering(...answers: Partial<ExecResult>[]) {
  const calls: { args: readonly string[]; options: Pick<ExecOptions, "input" | "timeoutMs"> }[] = [];
  const run = async (args: readonly string[], options: Pick<ExecOptions, "input" | "timeoutMs"> = {}) => {
    calls.push({ args, options });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return { exitCode: 0, stdout: "", stderr: "", interrupted: false, ...answer };
  };
  return { kubectl: { runUnchecked: run, runChange: run }, calls };
}

function restart(
  strategy: CompletedRestart["strategy"],
  replacement: CompletedRestart["replacement"],
  controllerUid: string | null = uid,
): CompletedRestart {
  return {
    strategy,
    namespace: "shop",
    regarding: { kind: "ReplicaSet", name: "web-7d9c8b", ...(controllerUid ? { uid: controllerUid } : {}) },
    pods: [],
    replacement,
  };
}

const clock = { now: () => now };
const cameBack = { kind: "problem", reason: "runs the old digest", restartedFor: move } as const;
/** A replacement not up within --wait-timeout, not seen on the old digest. */
const notUpInTime = {
  kind: "problem",
  reason: "not Ready in time",
  restartedFor: move,
  restartedAt: now,
} as const;
/** `kubectl get` of a record that exists, at resourceVersion 7. */
const existing = { stdout: '{"metadata":{"name":"x","resourceVersion":"7"},"data":{}}' };
const patchOf = (args: readonly string[]) =>
  JSON.parse(args.find((a) => a.startsWith("--patch="))!.slice("--patch=".length)) as {
    metadata: { resourceVersion?: string };
    data: Record<string, string | null>;
  };

describe("RecordKeeper", () => {
  it.each([
    ["its old digest", cameBack],
    // Up, but on another digest its node had cached: a daily run, long after its Event, would restart
    // it again.
    ["another old digest", { kind: "up", restartedFor: move } as const],
  ])(
    "keeps a pod evicted or deleted that came back on %s: one read, one merge patch of its key",
    async (_, back) => {
      const { kubectl, calls } = kubectlAnswering(existing, { stdout: "8" });
      const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
      keeper.restarted(restart("evict", back));
      expect(await keeper.save()).toBeNull();
      expect(calls.map((c) => c.args.slice(0, 3))).toEqual([
        ["get", "configmaps", "kubectl-autoupdate"],
        ["patch", "configmap", "kubectl-autoupdate"],
      ]);
      // Both bounded: the restarts are done, a slow API server must not hold the run's end.
      expect(calls.map((c) => c.options.timeoutMs)).toEqual([20_000, 20_000]);
      // Made against what was read: a record another run wrote meanwhile is a Conflict, not overwritten.
      expect(patchOf(calls[1]!.args).metadata).toEqual({ resourceVersion: "7" });
      expect(JSON.parse(patchOf(calls[1]!.args).data[`shop.${uid}`]!)).toMatchObject({
        kind: "ReplicaSet",
        name: "web-7d9c8b",
        restarts: [{ restartedFor: move, at: "2026-12-02T06:00:00.000Z" }],
      });
    },
  );

  it("keeps nothing, and calls nothing, for a rollout, a replacement that came up or (under --no-wait) was not checked, or no UID", async () => {
    const { kubectl, calls } = kubectlAnswering({});
    const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.restarted(restart("rollout", cameBack));
    keeper.restarted(restart("delete", { kind: "up" }));
    keeper.restarted(restart("evict", { kind: "unchecked", why: "--no-wait" }));
    // Its Event holds it; kept here only once a later run leaves pods for it (below).
    keeper.restarted(
      restart("evict", { kind: "unchecked", why: "--no-wait", restartedFor: move, restartedAt: now }),
    );
    keeper.restarted(restart("evict", { kind: "problem", reason: "not Ready in time" }));
    keeper.restarted(restart("evict", notUpInTime));
    keeper.restarted(restart("evict", cameBack, null));
    expect(await keeper.save()).toBeNull();
    expect(calls).toEqual([]);
  });

  it("under --wait keeps a restart not checked (not up in time, the run stopped), its time on the API server's clock", async () => {
    const { kubectl, calls } = kubectlAnswering(existing, { stdout: "8" });
    const keeper = new RecordKeeper(kubectl, ref, clock, {
      kept: true,
      serverClockAhead: async () => 90_000,
    });
    const restartedAt = now - 10 * 60_000;
    keeper.restarted(
      restart("evict", { kind: "problem", reason: "not Ready in time", restartedFor: move, restartedAt }),
    );
    const other = "0a1b2c3d-0000-4000-8000-000000000002";
    keeper.restarted(
      restart("delete", { kind: "unchecked", why: "interrupted", restartedFor: move, restartedAt }, other),
    );
    expect(await keeper.save()).toBeNull();
    const data = patchOf(calls[1]!.args).data;
    for (const key of [`shop.${uid}`, `shop.${other}`]) {
      expect(JSON.parse(data[key]!).restarts).toEqual([
        {
          restartedFor: move,
          at: "2026-12-02T06:00:00.000Z",
          uncheckedRestartAt: "2026-12-02T05:51:30.000Z",
        },
      ]);
    }
  });

  it("keeps no restart not checked when no Event showed the API server's clock: a laptop's may be minutes off", async () => {
    const { kubectl, calls } = kubectlAnswering(existing, { stdout: "8" });
    const keeper = new RecordKeeper(kubectl, ref, clock, { kept: true, serverClockAhead: async () => null });
    keeper.restarted(restart("evict", notUpInTime));
    expect(await keeper.save()).toBeNull();
    expect(calls).toEqual([]);
  });

  it("a remembered restart the run left pods for is stamped with the run's time, keeping when it was first", async () => {
    const { kubectl, calls } = kubectlAnswering(existing, { stdout: "8" });
    const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
    const left: RememberedRestart = {
      namespace: "shop",
      controller: { kind: "ReplicaSet", name: "web-7d9c8b", uid },
      restartedFor: move,
      at: now - 30 * 60_000,
    };
    keeper.held(left);
    expect(await keeper.save()).toBeNull();
    expect(JSON.parse(patchOf(calls[1]!.args).data[`shop.${uid}`]!).restarts).toEqual([
      { restartedFor: move, at: "2026-12-02T06:00:00.000Z", firstAt: "2026-12-02T05:30:00.000Z" },
    ]);
  });

  it("an unchecked restart the run left pods for keeps when that restart was", async () => {
    const { kubectl, calls } = kubectlAnswering(existing, { stdout: "8" });
    const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.held({
      namespace: "shop",
      controller: { kind: "ReplicaSet", name: "web-7d9c8b", uid },
      restartedFor: move,
      at: now - 30 * 60_000,
      uncheckedRestartAt: now - 40 * 60_000,
    });
    expect(await keeper.save()).toBeNull();
    expect(JSON.parse(patchOf(calls[1]!.args).data[`shop.${uid}`]!).restarts).toEqual([
      { restartedFor: move, at: "2026-12-02T06:00:00.000Z", uncheckedRestartAt: "2026-12-02T05:20:00.000Z" },
    ]);
  });

  it("400 controllers left at once: written in parts, each argument far below Linux's 128 KiB", async () => {
    let version = 7;
    const { kubectl, calls } = kubectlAnswering(existing);
    const answering = kubectl.runChange;
    const runChange: typeof answering = async (args, options) =>
      args[0] === "patch"
        ? { ...(await answering(args, options)), stdout: String(++version) }
        : answering(args, options);
    const keeper = new RecordKeeper({ runChange }, ref, clock, uncheckedLeftToEvents);
    const longMove = `app=sha256:${"a".repeat(64)}>sha256:${"b".repeat(64)}`;
    const uids = Array.from(
      { length: 400 },
      (_, i) => `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    for (const [i, controllerUid] of uids.entries()) {
      keeper.held({
        namespace: "shop",
        controller: { kind: "StatefulSet", name: `cache-${i}`, uid: controllerUid },
        restartedFor: longMove,
        at: now - 30 * 60_000,
      });
    }
    expect(await keeper.save()).toBeNull();
    const patches = calls.filter((c) => c.args[0] === "patch");
    expect(patches.length).toBeGreaterThan(1);
    expect(Math.max(...calls.flatMap((c) => c.args).map((a) => Buffer.byteLength(a)))).toBeLessThan(70_000);
    // Each part made against the one before it.
    expect(patches.map((c) => patchOf(c.args).metadata.resourceVersion)).toEqual(
      patches.map((_, i) => String(7 + i)),
    );
    // Every controller in exactly one part.
    const keys = patches.flatMap((c) => Object.keys(patchOf(c.args).data));
    expect(keys.sort()).toEqual(uids.map((u) => `shop.${u}`).sort());
  });

  it("a ConfigMap whose other keys leave no room for this run's record: said, not dropped silently", async () => {
    // A ConfigMap named by hand whose own keys take nearly all of its 1 MiB.
    const server = recordConfigMap({ "settings.json": "x".repeat(1024 * 1024 - 200) });
    const keeper = new RecordKeeper(server.kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.restarted(restart("evict", cameBack));
    expect(await keeper.save()).toBe(
      "no room left in it for 1 of this run's (its other keys take the ConfigMap's 1 MiB)",
    );
    expect(Object.keys(server.data())).toEqual(["settings.json"]);
  });

  it("the cluster gone by the end of the run: the reason, never an error (the restarts are done)", async () => {
    const { kubectl } = kubectlAnswering({
      exitCode: 1,
      stderr:
        "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n",
    });
    const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.restarted(restart("evict", cameBack));
    expect(await keeper.save()).toBe(
      "cannot reach the cluster: 127.0.0.1:6443 refused the connection; is the cluster running?",
    );
  });

  it("a patch refused for another reason than NotFound: that reason, and no create", async () => {
    const forbidden =
      'Error from server (Forbidden): configmaps "kubectl-autoupdate" is forbidden: User "dev" cannot patch resource "configmaps" in API group "" in the namespace "ops"';
    const { kubectl, calls } = kubectlAnswering(existing, { exitCode: 1, stderr: `${forbidden}\n` });
    const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.restarted(restart("evict", cameBack));
    expect(await keeper.save()).toBe(forbidden);
    expect(calls.map((c) => c.args[0])).toEqual(["get", "patch"]);
  });

  it("a read that prints no JSON, or does not answer in time: said, and nothing written", async () => {
    const garbled = kubectlAnswering({ stdout: "<html>proxy error</html>" });
    const keeper = new RecordKeeper(garbled.kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.restarted(restart("evict", cameBack));
    expect(await keeper.save()).toBe("kubectl get configmaps printed malformed JSON");
    expect(garbled.calls).toHaveLength(1);
    const stuck = kubectlAnswering({ exitCode: 143, interrupted: true, killedBy: "SIGTERM" });
    const waiting = new RecordKeeper(stuck.kubectl, ref, clock, uncheckedLeftToEvents);
    waiting.restarted(restart("evict", cameBack));
    expect(await waiting.save()).toBe("kubectl get configmaps: no answer within 20s");
    expect(stuck.calls).toHaveLength(1);
  });

  it("no ConfigMap and no right to make one: says to run install-cron again", async () => {
    const { kubectl, calls } = kubectlAnswering(
      { stdout: "" },
      {
        exitCode: 1,
        stderr:
          'Error from server (Forbidden): error when creating "STDIN": configmaps is forbidden: User "system:serviceaccount:ops:kubectl-autoupdate" cannot create resource "configmaps" in API group "" in the namespace "ops"\n',
      },
    );
    const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.restarted(restart("evict", cameBack));
    expect(await keeper.save()).toBe(
      'it does not exist and could not be made (for an installation\'s, run install-cron again with the flags it was installed with): Error from server (Forbidden): configmaps is forbidden: User "system:serviceaccount:ops:kubectl-autoupdate" cannot create resource "configmaps" in API group "" in the namespace "ops"',
    );
    expect(calls.map((c) => c.args[0])).toEqual(["get", "create"]);
    expect(JSON.parse(calls[1]!.options.input!)).toMatchObject({
      kind: "ConfigMap",
      metadata: { name: "kubectl-autoupdate", namespace: "ops" },
    });
  });

  it("made meanwhile (another run, or this create sent twice): read again and patched, not said to be missing", async () => {
    const { kubectl, calls } = kubectlAnswering(
      { stdout: "" },
      {
        exitCode: 1,
        stderr:
          'Error from server (AlreadyExists): error when creating "STDIN": configmaps "kubectl-autoupdate" already exists\n',
      },
      existing,
      { stdout: "8" },
    );
    const keeper = new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents);
    keeper.restarted(restart("evict", cameBack));
    expect(await keeper.save()).toBeNull();
    expect(calls.map((c) => c.args[0])).toEqual(["get", "create", "get", "patch"]);
  });

  it("two runs writing it at once: the one refused for a Conflict reads again and merges again, so both are kept", async () => {
    // Both read before either writes.
    let reads = 0;
    let bothRead = () => {};
    const read = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    const server = recordConfigMap({}, { onGet: () => ++reads === 2 && bothRead(), beforePatch: () => read });
    const kubectl = server.kubectl;
    const [cron, manual] = [
      new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents),
      new RecordKeeper(kubectl, ref, clock, uncheckedLeftToEvents),
    ];
    const other = "app=sha256:ccc>sha256:bbb";
    cron.restarted(restart("evict", cameBack));
    manual.restarted(restart("evict", { ...cameBack, restartedFor: other }));
    expect(await Promise.all([cron.save(), manual.save()])).toEqual([null, null]);
    const kept = JSON.parse(server.data()[`shop.${uid}`]!).restarts.map(
      (r: { restartedFor: string }) => r.restartedFor,
    );
    expect(kept.sort()).toEqual([move, other].sort());
  });
});
