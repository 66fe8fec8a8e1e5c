import { describe, expect, it } from "vitest";
import {
  maxEntryBytes,
  parseRecordRef,
  recordBudgetBytes,
  recordChanges,
  recordKeptForMs,
  rememberedIn,
} from "../../../src/core/restart-record.js";
import type { RememberedRestart } from "../../../src/core/restarted-for.js";
import { digestOf } from "../../support/pods.js";
import { patched } from "../../support/record-configmap.js";

const move = `app=${digestOf("v1")}>${digestOf("v2")}`;
const otherMove = `app=${digestOf("v0")}>${digestOf("v2")}`;
const now = Date.parse("2026-12-02T06:00:00Z");
const hour = 60 * 60 * 1000;
const day = 24 * hour;
const uid = { web: "0a1b2c3d-0000-4000-8000-000000000001", db: "0a1b2c3d-0000-4000-8000-000000000002" };

function restart(name: keyof typeof uid, at: number, restartedFor = move): RememberedRestart {
  return { namespace: "shop", controller: { kind: "ReplicaSet", name, uid: uid[name] }, restartedFor, at };
}

/** Runs in turn: each writes what it recorded over what the ones before left. */
function afterRuns(...runs: [at: number, recorded: RememberedRestart[]][]): Record<string, string> {
  let data: Record<string, string> = {};
  for (const [at, recorded] of runs) data = patched(data, recordChanges(data, recorded, at));
  return data;
}

describe("the record ConfigMap of restarts in vain", () => {
  it("keeps each controller under NAMESPACE.UID, with what it was restarted for, and reads it back", () => {
    const web = restart("web", now - hour);
    const changes = recordChanges(undefined, [web], now);
    expect(Object.keys(changes ?? {})).toEqual([`shop.${uid.web}`]);
    expect(JSON.parse(changes![`shop.${uid.web}`]!)).toEqual({
      namespace: "shop",
      kind: "ReplicaSet",
      name: "web",
      uid: uid.web,
      restarts: [{ restartedFor: move, at: "2026-12-02T05:00:00.000Z" }],
    });
    expect(rememberedIn(patched({}, changes), now)).toEqual([web]);
  });

  it("two moves of one controller (pods back on different old digests) are both kept, across runs", () => {
    // Run 1: a pod on one node comes back on v1; run 2: a pod on another node comes back on v0.
    const data = afterRuns([now - day, [restart("web", now - day)]], [now, [restart("web", now, otherMove)]]);
    expect(rememberedIn(data, now).map((r) => r.restartedFor)).toEqual([otherMove, move]);
  });

  it("a move recorded again is stamped again, once; other controllers' entries stay untouched", () => {
    const data = afterRuns([now - 2 * hour, [restart("db", now - 2 * hour), restart("web", now - 2 * hour)]]);
    const changes = recordChanges(data, [restart("web", now - hour), restart("web", now)], now);
    // Only web's key is in the patch: the merge leaves db's as it is.
    expect(Object.keys(changes ?? {})).toEqual([`shop.${uid.web}`]);
    expect(rememberedIn(patched(data, changes), now)).toEqual([
      restart("db", now - 2 * hour),
      restart("web", now),
    ]);
  });

  it("a record no run has needed for eight days is no longer read, and the next write removes it", () => {
    const data = afterRuns(
      [now - 9 * day, [restart("db", now - 9 * day)]],
      [now - day, [restart("web", now - day)]],
    );
    expect(rememberedIn(data, now).map((r) => r.controller.name)).toEqual(["web"]);
    // Removed by the next write, whatever it is for.
    const changes = recordChanges(data, [restart("web", now)], now);
    expect(changes).toEqual({ [`shop.${uid.db}`]: null, [`shop.${uid.web}`]: expect.any(String) });
    // One of a controller's moves expires alone.
    const both = afterRuns(
      [now - 9 * day, [restart("web", now - 9 * day, otherMove)]],
      [now, [restart("web", now)]],
    );
    expect(rememberedIn(both, now).map((r) => r.restartedFor)).toEqual([move]);
    expect(JSON.parse(both[`shop.${uid.web}`]!).restarts).toHaveLength(1);
  });

  it("an entry nothing recorded for this run, one move expired and one not: rewritten to the one left", () => {
    const data = afterRuns(
      [now - 9 * day, [restart("web", now - 9 * day, otherMove)]],
      [now - day, [restart("web", now - day)]],
    );
    const changes = recordChanges(data, [restart("db", now)], now);
    expect(Object.keys(changes ?? {}).sort()).toEqual([`shop.${uid.db}`, `shop.${uid.web}`].sort());
    expect(JSON.parse(changes![`shop.${uid.web}`]!).restarts).toEqual([
      { restartedFor: move, at: new Date(now - day).toISOString() },
    ]);
  });

  it("a weekly schedule keeps its records: a week apart, give or take the run's own length", () => {
    expect(recordKeptForMs).toBe(8 * day);
    const data = afterRuns([now - 7 * day - hour, [restart("web", now - 7 * day - hour)]]);
    expect(rememberedIn(data, now)).toHaveLength(1);
  });

  it("a stamp far ahead of the clock is not read (it would never expire), nor one not in the form this tool writes", () => {
    // Another node's clock a little ahead: read.
    const skewed = afterRuns([now + 10 * 60_000, [restart("web", now + 10 * 60_000)]]);
    expect(rememberedIn(skewed, now)).toHaveLength(1);
    const ahead = afterRuns([now + 30 * day, [restart("web", now + 30 * day)]]);
    expect(rememberedIn(ahead, now)).toEqual([]);
    expect(recordChanges(ahead, [], now)).toEqual({ [`shop.${uid.web}`]: null });
    const entry = JSON.parse(skewed[`shop.${uid.web}`]!);
    entry.restarts[0].at = "12/01/2026";
    expect(rememberedIn({ [`shop.${uid.web}`]: JSON.stringify(entry) }, now)).toEqual([]);
  });

  it("a run whose clock is hours behind keeps the entries it cannot read yet, whatever it records", () => {
    const data = afterRuns([now, [restart("db", now)]]);
    const behind = now - 2 * hour;
    expect(rememberedIn(data, behind)).toEqual([]);
    expect(recordChanges(data, [], behind)).toBeNull();
    expect(recordChanges(data, [restart("web", behind)], behind)).not.toHaveProperty(`shop.${uid.db}`);
    // Its own stamp on the same controller keeps the one ahead beside it.
    const merged = patched(data, recordChanges(data, [restart("db", behind, otherMove)], behind));
    expect(
      rememberedIn(merged, now)
        .map((r) => r.restartedFor)
        .sort(),
    ).toEqual([move, otherMove].sort());
  });

  it("a move recorded again over a stamp from a clock gone ahead: this run's stamp, which runs can read, replaces it", () => {
    // A laptop a day ahead recorded it; this run, on time, restarted the pod in vain again.
    const data = afterRuns([now + day, [restart("web", now + day)]]);
    expect(rememberedIn(data, now)).toEqual([]);
    const again = patched(data, recordChanges(data, [restart("web", now)], now));
    expect(rememberedIn(again, now)).toEqual([restart("web", now)]);
    // Another move's stamp ahead stays, as a clock behind another's keeps it (above).
    const both = afterRuns([now + day, [restart("web", now + day, otherMove)]], [now, [restart("web", now)]]);
    expect(JSON.parse(both[`shop.${uid.web}`]!).restarts.map((r: { at: string }) => r.at)).toEqual([
      "2026-12-03T06:00:00.000Z",
      "2026-12-02T06:00:00.000Z",
    ]);
  });

  it("stays within its budget of the 1 MiB a ConfigMap may hold: the moves no run needed for longest go first", () => {
    // 100 controllers, a new move each every two hours for five days: ~1.3 MB kept whole.
    const controllers = Array.from(
      { length: 100 },
      (_, i) => `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    let data: Record<string, string> = {};
    const runs = 60;
    for (let run = 0; run < runs; run++) {
      const at = now - (runs - run) * 2 * hour;
      const recorded = controllers.map((id, i) => ({
        namespace: "shop",
        controller: { kind: "StatefulSet", name: `cache-${i}`, uid: id },
        restartedFor: `app=${digestOf(`old ${i}`)}>${digestOf(`run ${run}`)}`,
        at,
      }));
      data = patched(data, recordChanges(data, recorded, at));
      const bytes = Object.entries(data).reduce((n, [k, v]) => n + k.length + v.length, 0);
      expect(bytes).toBeLessThanOrEqual(recordBudgetBytes);
      // What this run recorded is all there.
      expect(rememberedIn(data, at).filter((r) => r.at === at)).toHaveLength(controllers.length);
    }
    const kept = rememberedIn(data, now);
    expect(kept.length).toBeLessThan(runs * controllers.length);
    // The oldest left out, never one newer than one kept: every run after the oldest kept is there whole.
    const oldestKept = Math.min(...kept.map((r) => r.at));
    const newer = kept.filter((r) => r.at > oldestKept);
    expect(newer).toHaveLength(controllers.length * ((now - oldestKept) / (2 * hour) - 1));
    // Sixty runs of a megabyte each, read back after each: more than vitest's 5 s default on a busy machine.
  }, 60_000);

  it("one controller's entry stays under what one kubectl argument may hold: a week of hourly moves keeps the newest", () => {
    // A tag moving hourly, its pods back on their node's cached image each time, two containers a move.
    const hourly = (i: number) =>
      restart(
        "web",
        now - i * hour,
        `app=${digestOf(`old ${i}`)}>${digestOf(`new ${i}`)},side=${digestOf(`s ${i}`)}>${digestOf(`t ${i}`)}`,
      );
    let data: Record<string, string> = {};
    for (let i = 7 * 24; i >= 0; i--) data = patched(data, recordChanges(data, [hourly(i)], now - i * hour));
    const entry = data[`shop.${uid.web}`]!;
    expect(entry.length).toBeLessThanOrEqual(maxEntryBytes);
    // Written into a merge patch, escaped: still well under Linux's 128 KiB for one argument.
    expect(JSON.stringify({ data: { [`shop.${uid.web}`]: entry } }).length).toBeLessThan(128 * 1024);
    const kept = rememberedIn(data, now);
    expect(kept[0]).toEqual(hourly(0));
    expect(kept.length).toBeGreaterThan(50);
    expect(kept.length).toBeLessThan(7 * 24);
  });

  it("nothing recorded and nothing expired: no patch", () => {
    const data = afterRuns([now, [restart("web", now)]]);
    expect(recordChanges(data, [], now + hour)).toBeNull();
    expect(recordChanges(undefined, [], now)).toBeNull();
  });

  it("an entry of this tool's shape that does not read (edited by hand, under another controller's key) is ignored and removed; other keys are never touched", () => {
    const web = JSON.parse(afterRuns([now, [restart("web", now)]])[`shop.${uid.web}`]!);
    const data = {
      [`shop.${uid.web}`]: "{not json",
      [`shop.${uid.db}`]: JSON.stringify(web),
      note: "kept by someone",
      "team.owner": "ops",
    };
    expect(rememberedIn(data, now)).toEqual([]);
    expect(recordChanges(data, [], now)).toEqual({ [`shop.${uid.web}`]: null, [`shop.${uid.db}`]: null });
  });
});

describe("an unchecked restart the runs left pods for (--no-wait, an interrupt)", () => {
  const unchecked = (at: number, restartedAt: number): RememberedRestart => ({
    ...restart("web", at),
    uncheckedRestartAt: restartedAt,
  });

  it("is kept with when the pod was restarted, apart from a checked record of the same move, and read back", () => {
    const data = afterRuns([now, [unchecked(now, now - day), restart("web", now - hour)]]);
    expect(JSON.parse(data[`shop.${uid.web}`]!).restarts).toEqual([
      {
        restartedFor: move,
        at: "2026-12-02T06:00:00.000Z",
        uncheckedRestartAt: "2026-12-01T06:00:00.000Z",
      },
      { restartedFor: move, at: "2026-12-02T05:00:00.000Z" },
    ]);
    expect(rememberedIn(data, now)).toEqual([unchecked(now, now - day), restart("web", now - hour)]);
  });

  it("stamped again, it keeps the earliest restart", () => {
    const data = afterRuns(
      [now - hour, [unchecked(now - hour, now - 2 * hour)]],
      [now, [unchecked(now, now - hour)]],
    );
    expect(rememberedIn(data, now)).toEqual([unchecked(now, now - 2 * hour)]);
  });

  it("one whose restart time does not read is not read at all: taken for a checked one, it would leave more", () => {
    const entry = JSON.parse(afterRuns([now, [unchecked(now, now - hour)]])[`shop.${uid.web}`]!);
    entry.restarts[0].uncheckedRestartAt = "yesterday";
    expect(rememberedIn({ [`shop.${uid.web}`]: JSON.stringify(entry) }, now)).toEqual([]);
  });
});

describe("$KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP", () => {
  it.each([
    ["tools/kubectl-autoupdate", { namespace: "tools", name: "kubectl-autoupdate" }],
    ["ops/autoupdate.records", { namespace: "ops", name: "autoupdate.records" }],
  ])("%s is NAMESPACE/NAME", (text, ref) => {
    expect(parseRecordRef(text)).toEqual(ref);
  });

  it.each(["kubectl-autoupdate", "tools/", "/name", "a/b/c", "Tools/x", "tools/under_score", "ns.dot/x"])(
    "%s is not",
    (text) => {
      expect(parseRecordRef(text)).toBeNull();
    },
  );
});
