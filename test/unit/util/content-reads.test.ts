import { describe, expect, it } from "vitest";
import { ContentReads } from "../../../src/util/content-reads.js";

type Read = { ok: boolean; by: string };

describe("ContentReads", () => {
  it("a success serves every asker; a failure only its own asker, and another asks again", async () => {
    const reads = new ContentReads<Read>();
    const started: string[] = [];
    const read = (asker: string, ok: boolean) =>
      reads.read("repo@sha256:d", asker, async () => {
        started.push(asker);
        return { ok, by: asker };
      });
    expect(await read("a", false)).toEqual({ ok: false, by: "a" });
    // Its own failure stands for a, which does not read again.
    expect(await read("a", true)).toEqual({ ok: false, by: "a" });
    expect(await read("b", true)).toEqual({ ok: true, by: "b" });
    // After b's success nobody reads again, and a too has the content.
    expect(await read("c", false)).toEqual({ ok: true, by: "b" });
    expect(await read("a", false)).toEqual({ ok: true, by: "b" });
    expect(started).toEqual(["a", "b"]);
  });

  it("a success learned otherwise answers without a read", async () => {
    const reads = new ContentReads<Read>();
    reads.learned("repo@sha256:d", { ok: true, by: "tag" });
    expect(await reads.read("repo@sha256:d", "a", async () => ({ ok: false, by: "a" }))).toEqual({
      ok: true,
      by: "tag",
    });
    expect(await reads.known("repo@sha256:d")).toEqual({ ok: true, by: "tag" });
    expect(reads.known("other@sha256:e")).toBeUndefined();
  });
});
