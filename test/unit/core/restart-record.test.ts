import { describe, expect, it } from "vitest";
import {
  parseRecordRef,
  recordChanges,
  recordKeptForMs,
  recordsIn,
} from "../../../src/core/restart-record.js";
import type { RememberedRestart } from "../../../src/core/restarted-for.js";
import { digestOf } from "../../support/pods.js";

const move = `app=${digestOf("v1")}>${digestOf("v2")}`;
const now = Date.parse("2026-12-02T06:00:00Z");
const hour = 60 * 60 * 1000;

function restart(name: string, uid: string, at: number, restartedFor = move): RememberedRestart {
  return { namespace: "shop", controller: { kind: "ReplicaSet", name, uid }, restartedFor, at };
}

/** The ConfigMap's data after a merge patch: null removes a key. */
function patched(
  data: Record<string, string>,
  changes: Record<string, string | null> | null,
): Record<string, string> {
  const result = { ...data };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

describe("the record ConfigMap of restarts in vain", () => {
  it("keeps each controller's record under NAMESPACE.UID and reads it back as it was", () => {
    const web = restart("web-7d9c8b", "0a1b-2c3d", now - hour);
    const changes = recordChanges(undefined, [web], now);
    expect(Object.keys(changes ?? {})).toEqual(["shop.0a1b-2c3d"]);
    expect(JSON.parse(changes!["shop.0a1b-2c3d"]!)).toEqual({
      namespace: "shop",
      kind: "ReplicaSet",
      name: "web-7d9c8b",
      uid: "0a1b-2c3d",
      restartedFor: move,
      at: "2026-12-02T05:00:00.000Z",
    });
    expect(recordsIn(patched({}, changes))).toEqual([web]);
  });

  it("one record per controller: the newest of a run wins, other controllers' records stay untouched", () => {
    const data = patched({}, recordChanges(undefined, [restart("db", "db-uid", now - 2 * hour)], now));
    const older = restart("web", "web-uid", now - hour, "app=a>b");
    const newer = restart("web", "web-uid", now, "app=c>d");
    const changes = recordChanges(data, [newer, older], now);
    // Only the changed key is in the patch: the merge leaves db's record as it is.
    expect(Object.keys(changes ?? {})).toEqual(["shop.web-uid"]);
    expect(recordsIn(patched(data, changes))).toEqual([restart("db", "db-uid", now - 2 * hour), newer]);
  });

  it("stamped again by a later run, a record lasts; one no run has needed for a week is removed", () => {
    const first = patched(
      {},
      recordChanges(
        undefined,
        [restart("web", "web-uid", now - 6 * 24 * hour), restart("gone", "gone-uid", now - 6 * 24 * hour)],
        now - 6 * 24 * hour,
      ),
    );
    // Six days later web's pods are still left (stamped again); nothing needs gone's record.
    const later = patched(first, recordChanges(first, [restart("web", "web-uid", now)], now));
    expect(recordsIn(later).map((r) => r.controller.name)).toEqual(["web", "gone"]);
    const weekOn = now + recordKeptForMs - 5 * 24 * hour + 1;
    const changes = recordChanges(later, [restart("other", "other-uid", weekOn)], weekOn);
    expect(changes).toEqual({
      "shop.gone-uid": null,
      "shop.other-uid": expect.any(String),
    });
    expect(recordsIn(patched(later, changes)).map((r) => r.controller.name)).toEqual(["web", "other"]);
  });

  it("nothing recorded and nothing expired: no patch", () => {
    const data = patched({}, recordChanges(undefined, [restart("web", "web-uid", now)], now));
    expect(recordChanges(data, [], now + hour)).toBeNull();
    expect(recordChanges(undefined, [], now)).toBeNull();
  });

  it("what does not read as a record (edited by hand, another tool's key) is ignored, and removed on the next write", () => {
    const data = {
      "shop.web-uid": "{not json",
      "shop.db-uid": JSON.stringify({ namespace: "shop", kind: "ReplicaSet", name: "db", at: "yesterday" }),
      note: "kept by someone",
    };
    expect(recordsIn(data)).toEqual([]);
    expect(recordChanges(data, [], now)).toEqual({
      "shop.web-uid": null,
      "shop.db-uid": null,
      note: null,
    });
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
