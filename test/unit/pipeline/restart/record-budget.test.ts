/**
 * The record ConfigMap's size against the 1 MiB the API server lets a ConfigMap's data hold, every key
 * counted: a write past it is refused whole, and the run's record is lost.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { recordChanges } from "../../../../src/core/restart-record.js";
import type { RememberedRestart } from "../../../../src/core/restarted-for.js";
import { RecordKeeper } from "../../../../src/pipeline/restart/record-keeper.js";
import {
  dataBytes as bytes,
  configMapLimit,
  patched,
  recordConfigMap,
  uncheckedLeftToEvents,
} from "../../../support/record-configmap.js";

const now = Date.parse("2026-12-02T06:00:00Z");
const hour = 3_600_000;
const day = 24 * hour;
const digest = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;
const uidOf = (ns: string, i: number) =>
  `${createHash("md5")
    .update(`${ns}${i}`)
    .digest("hex")
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5")}`;

function entry(ns: string, i: number, moves: [string, number][]): [string, string] {
  const uid = uidOf(ns, i);
  const value = JSON.stringify({
    namespace: ns,
    kind: "ReplicaSet",
    name: `app-${i}`,
    uid,
    restarts: moves
      .sort((a, b) => b[1] - a[1])
      .map(([restartedFor, at]) => ({ restartedFor, at: new Date(at).toISOString() })),
  });
  return [`${ns}.${uid}`, value];
}

function fresh(ns: string, i: number, restartedFor: string, at: number): RememberedRestart {
  return {
    namespace: ns,
    controller: { kind: "ReplicaSet", name: `app-${i}`, uid: uidOf(ns, i) },
    restartedFor,
    at,
  };
}

describe("the record's 900 KiB budget", () => {
  it("leaves room for the keys of others the ConfigMap holds (the 1 MiB counts every key)", () => {
    // A ConfigMap named by hand that holds 200 KiB of someone else's keys ("Keys not of that shape are
    // left alone").
    const data: Record<string, string> = { "settings.yaml": "x".repeat(200 * 1024) };
    for (let i = 0, total = bytes(data); total < 200 * 1024 + 880 * 1024; i++) {
      const [key, value] = entry("shop", i, [[`app=${digest(`o${i}`)}>${digest("n")}`, now - 3 * day]]);
      data[key] = value;
      total += key.length + value.length;
    }
    const recorded = Array.from({ length: 50 }, (_, i) =>
      fresh("shop", 100_000 + i, `app=${digest(`f${i}`)}>${digest("n")}`, now),
    );
    const after = patched(data, recordChanges(data, recorded, now));
    // The API server refuses any write that leaves the data above 1 MiB.
    expect(bytes(after)).toBeLessThanOrEqual(configMapLimit);
  });

  it("leaves room for the ConfigMap's binaryData too, counted decoded as the API server counts it", async () => {
    const data: Record<string, string> = {};
    for (let i = 0, total = 0; total < 880 * 1024; i++) {
      const [key, value] = entry("shop", i, [[`app=${digest(`o${i}`)}>${digest("n")}`, now - 3 * day]]);
      data[key] = value;
      total += key.length + value.length;
    }
    const binaryData = { "logo.png": Buffer.alloc(200 * 1024, 7).toString("base64") };
    const server = recordConfigMap(data, {}, binaryData);
    const ref = { namespace: "ops", name: "kubectl-autoupdate" };
    const keeper = new RecordKeeper(server.kubectl, ref, { now: () => now }, uncheckedLeftToEvents);
    for (let i = 0; i < 50; i++)
      keeper.held(fresh("shop", 100_000 + i, `app=${digest(`f${i}`)}>${digest("n")}`, now));
    // Refused whole ("Too long") if the 200 KiB were not counted: this run's restarts in vain lost.
    expect(await keeper.save()).toBeNull();
    expect(bytes(server.data())).toBeLessThanOrEqual(configMapLimit - 200 * 1024 - "logo.png".length);
  });

  it("a record already at the 1 MiB limit (as the unbounded version left it) takes this run's write again", async () => {
    // Namespace `ci`: controllers whose tag moves every run, so all their moves are recent.
    const ci = 150;
    const move = (i: number, run: number) =>
      `app=${digest(`ci ${i} ${run}`)}>${digest(`ci ${i} ${run + 1}`)}`;
    const stored: [string, string][] = [];
    for (let i = 0; i < ci; i++) {
      stored.push(
        entry(
          "ci",
          i,
          [1, 2, 3].map((run) => [move(i, run), now - run * 2 * hour] as [string, number]),
        ),
      );
    }
    // Namespace `shop`: older moves, filling the rest right up to the limit (writes past it were refused).
    let total = stored.reduce((n, [k, v]) => n + k.length + v.length, 0);
    for (let i = 0; ; i++) {
      const moves = Array.from({ length: 8 }, (_, m) => [
        `app=${digest(`shop ${i} ${m}`)}>${digest(`shop ${i} ${m + 1}`)}`,
        now - (7 * day - (i % 100) * hour - m * 60_000),
      ]) as [string, number][];
      const e = entry("shop", i, moves);
      if (total + e[0].length + e[1].length > configMapLimit - 1500) break;
      stored.push(e);
      total += e[0].length + e[1].length;
    }
    // What the API server holds: keys sorted, as `kubectl get -o json` prints them.
    const data = Object.fromEntries(stored.sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(bytes(data)).toBeLessThanOrEqual(configMapLimit);

    const server = recordConfigMap(data);
    const keeper = new RecordKeeper(
      server.kubectl,
      { namespace: "ops", name: "kubectl-autoupdate" },
      { now: () => now },
      uncheckedLeftToEvents,
    );
    // This run: every ci controller restarted in vain for its newest move.
    for (let i = 0; i < ci; i++) keeper.held(fresh("ci", i, move(i, 0), now));
    expect(await keeper.save()).toBeNull();
    expect(bytes(server.data())).toBeLessThanOrEqual(900 * 1024);
  });

  it("others' keys are counted in bytes, as the API server counts them (UTF-8), not in characters", () => {
    const data: Record<string, string> = { notes: "運用メモ".repeat(50_000) }; // 600,000 bytes
    for (let i = 0; i < 100; i++) {
      const [key, value] = entry("shop", i, [
        [`app=${digest(`o${i}`)}>${digest("n")}|${"x".repeat(2300)}`, now - (100 - i) * hour],
      ]);
      data[key] = value;
    }
    expect(bytes(data)).toBeLessThan(configMapLimit);
    const recorded = Array.from({ length: 100 }, (_, j) =>
      fresh("shop", 1000 + j, `app=${digest(`f${j}`)}>${digest("n")}|${"x".repeat(2300)}`, now),
    );
    expect(bytes(patched(data, recordChanges(data, recorded, now)))).toBeLessThanOrEqual(configMapLimit);
  });

  it("an entry written in another form (stamps without milliseconds) is measured as written again", () => {
    // Readable, as stamps without a fraction are, but 4 bytes a stamp shorter than this tool writes them.
    const moves = Array.from({ length: 40 }, (_, i) => [
      `app=${digest(`o${i}`)}>${digest(`n${i}`)}`,
      now - (i + 1) * hour,
    ]);
    const [key, written] = entry("shop", 1, moves as [string, number][]);
    const compact = written.replaceAll(".000Z", "Z");
    const others = configMapLimit - Math.floor(Buffer.byteLength(compact) + 200);
    const data: Record<string, string> = { [key]: compact, other: "x".repeat(others - 5) };
    const after = patched(
      data,
      recordChanges(data, [fresh("shop", 2, `app=${digest("a")}>${digest("b")}`, now)], now),
    );
    expect(after[key]).not.toBe(compact);
    expect(bytes(after)).toBeLessThanOrEqual(configMapLimit);
  });
});
