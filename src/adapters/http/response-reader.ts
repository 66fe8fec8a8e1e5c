/**
 * An HTTP/1.1 response read from the bytes of its connection as they arrive: its status and headers, then
 * its body by whichever framing the headers give (chunked, a Content-Length, or up to the connection's
 * end). The bytes it is handed are lent, valid only during the call, and so is each piece of body it hands
 * on: a connection that reads into one buffer over and over makes no garbage per read (page-proxy.ts).
 */

export interface ResponseHead {
  status: number;
  /** Values by lower-case name, repeated ones joined with ", ". */
  headers: Map<string, string>;
}

/** The response is not HTTP/1.1 as this reader knows it. */
export class MalformedResponseError extends Error {}

/** The most a status line and headers may take, as Node.js's own parser allows. */
const maxHeadBytes = 16 * 1024;
/** A chunk's size line; extensions are allowed, not read. */
const maxSizeLineBytes = 1024;
/** Statuses whose response has no body whatever the headers say. */
export const bodilessStatuses: ReadonlySet<number> = new Set([204, 205, 304]);

type State =
  | "head"
  /** Body of a Content-Length: `left` bytes to come. */
  | "length"
  /** Body up to the end of the connection. */
  | "until-end"
  | "chunk-size"
  /** A chunk's data: `left` bytes to come. */
  | "chunk-data"
  /** The line break after a chunk's data. */
  | "chunk-end"
  | "trailers"
  | "done";

export class HttpResponseReader {
  private state: State = "head";
  /** The head, or the line, being read across writes: its bytes so far. */
  private line: Buffer = Buffer.alloc(0);
  private left = 0;

  constructor(
    private readonly onHead: (head: ResponseHead) => void,
    private readonly onBody: (piece: Buffer) => void,
  ) {}

  /** Whether the whole response was read (the end of the connection completes one framed by it). */
  get complete(): boolean {
    return this.state === "done";
  }

  /** The connection ended: a body that lasts until then is complete. */
  end(): void {
    if (this.state === "until-end") this.state = "done";
  }

  write(bytes: Buffer): void {
    let pos = 0;
    while (pos < bytes.length && this.state !== "done") {
      switch (this.state) {
        case "head":
          pos = this.readHead(bytes, pos);
          break;
        case "length":
        case "chunk-data": {
          const n = Math.min(this.left, bytes.length - pos);
          this.onBody(bytes.subarray(pos, pos + n));
          pos += n;
          this.left -= n;
          if (this.left === 0) this.state = this.state === "length" ? "done" : "chunk-end";
          break;
        }
        case "until-end":
          this.onBody(bytes.subarray(pos));
          pos = bytes.length;
          break;
        case "chunk-size":
        case "chunk-end":
        case "trailers":
          pos = this.readLine(bytes, pos);
          break;
      }
    }
  }

  /** Reads up to the blank line that ends the head; returns where the body starts, or the end. */
  private readHead(bytes: Buffer, pos: number): number {
    const before = this.line.length;
    const added = bytes.subarray(pos, pos + maxHeadBytes + 4);
    this.line = Buffer.concat([this.line, added]);
    const blank = this.line.indexOf("\r\n\r\n", Math.max(0, before - 3), "latin1");
    if (blank < 0) {
      if (this.line.length > maxHeadBytes)
        throw new MalformedResponseError("the response's head is too long");
      return pos + added.length;
    }
    const bodyStart = pos + blank + 4 - before;
    const head = parseHead(this.line.toString("latin1", 0, blank));
    this.line = Buffer.alloc(0);
    // An interim answer (100 Continue) is followed by the real one.
    if (head.status >= 100 && head.status < 200) return bodyStart;
    // Framing this reader cannot follow is refused before the head is told: the answer is not read at all.
    this.state = bodyState(head);
    this.onHead(head);
    if (this.state === "length") {
      this.left = Number(head.headers.get("content-length"));
      if (this.left === 0) this.state = "done";
    }
    return bodyStart;
  }

  /** Reads one line of the chunked framing (across writes); returns where it ended, or the end. */
  private readLine(bytes: Buffer, pos: number): number {
    const newline = bytes.indexOf(10, pos);
    const end = newline < 0 ? bytes.length : newline + 1;
    this.line =
      this.line.length === 0
        ? Buffer.from(bytes.subarray(pos, end))
        : Buffer.concat([this.line, bytes.subarray(pos, end)]);
    if (newline < 0) {
      if (this.line.length > maxSizeLineBytes) throw new MalformedResponseError("a chunk's line is too long");
      return end;
    }
    const text = this.line.toString("latin1").replace(/\r?\n$/, "");
    this.line = Buffer.alloc(0);
    if (this.state === "chunk-end") {
      if (text !== "") throw new MalformedResponseError("a chunk's data runs past its size");
      this.state = "chunk-size";
    } else if (this.state === "chunk-size") {
      const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(text);
      if (!size) throw new MalformedResponseError(`a chunk's size is not hexadecimal: ${text.slice(0, 40)}`);
      this.left = Number.parseInt(size[1]!, 16);
      this.state = this.left === 0 ? "trailers" : "chunk-data";
    } else if (text === "") this.state = "done";
    return end;
  }
}

function parseHead(text: string): ResponseHead {
  const [statusLine = "", ...lines] = text.split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (!status) throw new MalformedResponseError(`not an HTTP/1.1 status line: ${statusLine.slice(0, 40)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MalformedResponseError(`not a header: ${line.slice(0, 40)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(status[1]), headers };
}

function bodyState(head: ResponseHead): State {
  if (bodilessStatuses.has(head.status)) return "done";
  const encoding = head.headers.get("transfer-encoding");
  if (encoding !== undefined) {
    if (encoding.toLowerCase() !== "chunked") {
      throw new MalformedResponseError(`a transfer encoding this reader does not know: ${encoding}`);
    }
    return "chunk-size";
  }
  const length = head.headers.get("content-length");
  if (length === undefined) return "until-end";
  if (!/^\d{1,15}$/.test(length)) throw new MalformedResponseError(`not a Content-Length: ${length}`);
  return "length";
}
