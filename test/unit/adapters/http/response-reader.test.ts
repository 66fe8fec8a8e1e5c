/**
 * The HTTP/1.1 response reader on the bytes a connection may deliver, cut anywhere and lent: each write's
 * buffer is overwritten once the call returns, as the page proxy's one read buffer is.
 */
import { describe, expect, it } from "vitest";
import {
  HttpResponseReader,
  MalformedResponseError,
  type ResponseHead,
} from "../../../../src/adapters/http/response-reader.js";

interface Read {
  heads: ResponseHead[];
  body: string;
  complete: boolean;
}

/** `wire` written in the pieces `cuts` make, each through one buffer overwritten after the call. */
function readResponse(wire: string, cuts: number[] = [], { ended = false } = {}): Read {
  const bytes = Buffer.from(wire, "latin1");
  const heads: ResponseHead[] = [];
  const pieces: Buffer[] = [];
  const reader = new HttpResponseReader(
    (head) => heads.push(head),
    (piece) => pieces.push(Buffer.from(piece)),
  );
  const lent = Buffer.alloc(bytes.length);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    const n = bytes.copy(lent, 0, from, cut);
    reader.write(lent.subarray(0, n));
    lent.fill("#");
    from = cut;
  }
  if (ended) reader.end();
  return { heads, body: Buffer.concat(pieces).toString("latin1"), complete: reader.complete };
}

/** Every way of cutting `wire` in two. */
function everyCut(wire: string): Read[] {
  return Array.from({ length: wire.length - 1 }, (_, i) => readResponse(wire, [i + 1]));
}

const chunked =
  "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.kubernetes.protobuf\r\nTransfer-Encoding: chunked\r\n" +
  "Vary: Accept\r\nvary: Accept-Encoding\r\n\r\n" +
  "5\r\nk8s\0a\r\n1a;name=value\r\nbcdefghijklmnopqrstuvwxyz0\r\n0\r\nX-Trailer: yes\r\n\r\n";

describe("HttpResponseReader", () => {
  it("a chunked body, its pieces joined, however the bytes are cut; headers by lower-case name, repeated ones joined", () => {
    for (const read of [readResponse(chunked), ...everyCut(chunked)]) {
      expect(read.body).toBe("k8s\0abcdefghijklmnopqrstuvwxyz0");
      expect(read.complete).toBe(true);
      expect(read.heads).toHaveLength(1);
      expect(read.heads[0]!.status).toBe(200);
      expect(read.heads[0]!.headers.get("content-type")).toBe("application/vnd.kubernetes.protobuf");
      expect(read.heads[0]!.headers.get("vary")).toBe("Accept, Accept-Encoding");
    }
  });

  it("a chunked body cut off before its last chunk is not complete, even once the connection ends", () => {
    const cutShort = chunked.slice(0, chunked.indexOf("0\r\nX-Trailer"));
    expect(readResponse(cutShort, [], { ended: true }).complete).toBe(false);
    expect(readResponse(chunked.slice(0, -2), [], { ended: true }).complete).toBe(false);
  });

  it("a Content-Length body ends at its length, however cut; what follows is not body", () => {
    const wire = 'HTTP/1.1 410 Gone\r\nContent-Length: 11\r\n\r\n{"code":41}trailing';
    for (const read of [readResponse(wire), ...everyCut(wire)]) {
      expect(read.heads[0]!.status).toBe(410);
      expect(read.body).toBe('{"code":41}');
      expect(read.complete).toBe(true);
    }
    expect(readResponse(wire.slice(0, -12), [], { ended: true }).complete).toBe(false);
  });

  it("a body of neither framing lasts until the connection ends", () => {
    const wire = "HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nno route to host";
    const open = readResponse(wire, [70]);
    expect(open).toMatchObject({ body: "no route to host", complete: false });
    expect(readResponse(wire, [70], { ended: true }).complete).toBe(true);
  });

  it("an interim answer (100 Continue) is passed over; a 204 has no body", () => {
    const read = readResponse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    );
    expect(read.heads.map((h) => h.status)).toEqual([204]);
    expect(read).toMatchObject({ body: "", complete: true });
  });

  it("what is not HTTP/1.1 as it knows it is refused: status line, header, chunk size and its end, encoding, length", () => {
    for (const wire of [
      "SSH-2.0-OpenSSH_9.2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      `HTTP/1.1 200 OK\r\nX-Long: ${"x".repeat(17_000)}`,
    ]) {
      expect(() => readResponse(wire), JSON.stringify(wire.slice(0, 60))).toThrow(MalformedResponseError);
    }
  });
});
