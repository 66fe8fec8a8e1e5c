import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { writePieces } from "../../src/io.js";

/** A reader slower than the writer: every write waits a turn, so the stream is behind after each piece. */
function slowStream(): { stream: Writable; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      setImmediate(done);
    },
  });
  return { stream, written };
}

describe("writePieces", () => {
  it("writes every piece in order, waiting whenever the reader is behind", async () => {
    const { stream, written } = slowStream();
    const pieces = Array.from({ length: 30 }, (_, i) => `piece ${i}\n`);
    await expect(writePieces(stream, pieces)).resolves.toBe("written");
    expect(written).toEqual(pieces);
  });

  it("leaves no listener behind after each wait (a long plan waits thousands of times)", async () => {
    const { stream } = slowStream();
    const before = ["drain", "close", "error"].map((e) => stream.listenerCount(e));
    await writePieces(
      stream,
      Array.from({ length: 30 }, () => "more than the high-water mark"),
    );
    expect(["drain", "close", "error"].map((e) => stream.listenerCount(e))).toEqual(before);
  });

  it("stops waiting when the stream closes before it drains", async () => {
    const stream = new Writable({ highWaterMark: 4, write: () => {} });
    const written = writePieces(stream, ["more than the high-water mark", "never written"]);
    stream.destroy();
    await expect(written).resolves.toBe("stopped");
  });

  it("stops when the run is stopped while it waits for the reader, leaving no listener on the signal", async () => {
    const stream = new Writable({ highWaterMark: 4, write: () => {} });
    const stop = new AbortController();
    const written = writePieces(stream, ["more than the high-water mark", "never written"], stop.signal);
    stop.abort();
    await expect(written).resolves.toBe("stopped");
    expect(stream.listenerCount("drain")).toBe(0);
  });

  it("sees a stop that comes between pieces though the reader keeps up: a signal's handler needs a turn", async () => {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    const stop = new AbortController();
    // As a SIGTERM's handler runs: in a turn of the event loop, once the writer lets one come.
    setImmediate(() => stop.abort());
    const pieces = Array.from({ length: 30 }, (_, i) => `piece ${i}\n`);
    await expect(writePieces(stream, pieces, stop.signal)).resolves.toBe("stopped");
    expect(written.length).toBeLessThan(pieces.length);
  });

  it("writes nothing more once the run is stopped", async () => {
    const { stream, written } = slowStream();
    const stop = new AbortController();
    function* pieces() {
      yield "first\n";
      stop.abort();
      yield "second\n";
    }
    await expect(writePieces(stream, pieces(), stop.signal)).resolves.toBe("stopped");
    expect(written).toEqual(["first\n"]);
  });
});
