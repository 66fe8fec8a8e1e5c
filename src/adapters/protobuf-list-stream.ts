/**
 * Reads the items of a List the API server serves as protobuf (`application/vnd.kubernetes.protobuf`) as
 * they stream in. Protobuf says each field's length before its bytes, so whatever an item's reader does
 * not ask for (managedFields, env, probes, conditions) is passed over by its length, unread: a third of the
 * bytes of the same pods as JSON, and no scan of them. The JSON stream's counterpart (json-list-stream.ts).
 *
 * The body is `k8s\0`, then a runtime.Unknown whose `raw` (field 2) holds the List: its ListMeta (field 1,
 * before the items, so the continue token is known before the first item) and each item (field 2).
 */
import { ProtobufReader } from "./protobuf-reader.js";

/** The media type of the API server's protobuf, for built-in kinds only. */
export const protobufMediaType = "application/vnd.kubernetes.protobuf";

/** Protobuf if the API server has it for this kind, else JSON (kubectl's own choice for built-in kinds). */
export const protobufFirst = `${protobufMediaType}, application/json`;

/** Whether a Content-Type is the API server's protobuf. */
export function isProtobufType(contentType: string): boolean {
  return contentType.split(";")[0]!.trim().toLowerCase() === protobufMediaType;
}

/**
 * Makes something of an item, given the bytes of its message: `bytes[start, end)`. They are lent (a page
 * read through the proxy is read into one buffer over and over): what is kept must be copied.
 */
export type ProtobufItemReader<T> = (bytes: Buffer, start: number, end: number) => T;

/** A List's metadata, as the JSON stream hands it over. */
export interface ListMetadata {
  resourceVersion?: string;
  continue?: string;
}

const MAGIC = Buffer.from("k8s\0", "latin1");
/** runtime.Unknown's raw bytes; a List's metadata, and its items. */
const RAW = 2;
const LIST_METADATA = 1;
const ITEM = 2;
/** ListMeta's fields. */
const RESOURCE_VERSION = 2;
const CONTINUE = 3;

export class ProtobufListStream {
  /** Bytes not read yet: the tail of the last chunk, before the next one. */
  private pending: Buffer = Buffer.alloc(0);
  private magicRead = false;
  /** Bytes of the List (the Unknown's raw) still to come; -1 before it begins or once it ended. */
  private listLeft = -1;
  /** Bytes of a field passed over that are still to come. */
  private skipLeft = 0;
  private sawList = false;

  constructor(
    private readonly onItem: (bytes: Buffer, start: number, end: number) => void,
    private readonly onMetadata?: (metadata: ListMetadata) => void,
  ) {}

  write(chunk: Buffer | string): void {
    const incoming = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    let bytes = this.pending.length === 0 ? incoming : Buffer.concat([this.pending, incoming]);
    let pos = 0;
    if (this.skipLeft > 0) {
      const skipped = Math.min(this.skipLeft, bytes.length);
      this.skipLeft -= skipped;
      this.consumed(skipped);
      pos = skipped;
    }
    if (!this.magicRead) {
      if (bytes.length - pos < MAGIC.length) {
        this.keep(bytes, pos);
        return;
      }
      if (!bytes.subarray(pos, pos + MAGIC.length).equals(MAGIC)) {
        throw new SyntaxError("not a Kubernetes protobuf body");
      }
      this.magicRead = true;
      pos += MAGIC.length;
    }
    while (pos < bytes.length) {
      const header = fieldHeader(bytes, pos);
      if (header === null) break;
      const { field, wire, length, at } = header;
      const inList = this.listLeft >= 0;
      if (!inList && field === RAW && wire === 2) {
        // The List is read field by field as it comes, never whole.
        this.listLeft = length;
        this.sawList = true;
        pos = at;
        continue;
      }
      const size = wire === 2 ? at - pos + length : at - pos;
      if (inList && wire === 2 && (field === ITEM || field === LIST_METADATA)) {
        if (bytes.length < at + length) break;
        if (field === ITEM) this.onItem(bytes, at, at + length);
        else this.onMetadata?.(listMetadata(bytes, at, at + length));
        this.consumed(size);
        pos = at + length;
        continue;
      }
      // Anything else (the Unknown's type and encodings, a List field not read) is passed over by its length.
      if (wire === 2 && bytes.length < at + length) {
        this.consumed(bytes.length - pos);
        this.skipLeft = at + length - bytes.length;
        pos = bytes.length;
        break;
      }
      this.consumed(size);
      pos += size;
    }
    bytes = bytes.subarray(pos);
    this.keep(bytes, 0);
  }

  /** Call at the end: throws when the body was not a complete List. */
  end(): void {
    if (!this.sawList || this.listLeft > 0 || this.skipLeft > 0 || this.pending.length > 0) {
      throw new SyntaxError("not a complete protobuf List");
    }
  }

  /** The List's bytes read: past its end, what follows is the Unknown's again. */
  private consumed(size: number): void {
    if (this.listLeft < 0) return;
    this.listLeft -= size;
    if (this.listLeft < 0) throw new SyntaxError("a protobuf field overruns its List");
    if (this.listLeft === 0) this.listLeft = -1;
  }

  /** Keeps bytes[from…] for the next chunk: a copy, so the chunk it lies in is not held. */
  private keep(bytes: Buffer, from: number): void {
    this.pending = from >= bytes.length ? Buffer.alloc(0) : Buffer.from(bytes.subarray(from));
  }
}

/**
 * The field whose key starts at `pos`: its number, wire type, the length of its value (a length-delimited
 * one's; 0 for others, whose value the returned `at` already passed) and where its value begins. Null when
 * the bytes end before that.
 */
function fieldHeader(
  bytes: Buffer,
  pos: number,
): { field: number; wire: number; length: number; at: number } | null {
  const reader = new ProtobufReader(bytes, pos, bytes.length);
  const key = reader.tryVarint();
  if (key === null) return null;
  const wire = key & 7;
  if (wire === 2) {
    const length = reader.tryVarint();
    return length === null ? null : { field: key >>> 3, wire, length, at: reader.pos };
  }
  if (!reader.trySkip(wire)) return null;
  return { field: key >>> 3, wire, length: 0, at: reader.pos };
}

function listMetadata(bytes: Buffer, start: number, end: number): ListMetadata {
  const metadata: ListMetadata = {};
  for (const reader = new ProtobufReader(bytes, start, end); reader.more(); ) {
    const { field, wire } = reader.key();
    if (field === RESOURCE_VERSION && wire === 2) metadata.resourceVersion = reader.string();
    else if (field === CONTINUE && wire === 2) metadata.continue = reader.string();
    else reader.skip(wire);
  }
  return metadata;
}

/** Whether a body is the API server's protobuf (its magic number first). */
export function isProtobufBody(body: Buffer): boolean {
  return body.length >= MAGIC.length && body.subarray(0, MAGIC.length).equals(MAGIC);
}

/** Status' message and reason (metav1.Status fields 3 and 4). */
const STATUS_MESSAGE = 3;
const STATUS_REASON = 4;

/** A Status the API server answered with in protobuf: its reason and message; null when it is no Status. */
export function protobufStatus(body: Buffer): { reason?: string; message?: string } | null {
  try {
    let raw: { start: number; end: number } | null = null;
    let kind = "";
    for (const reader = new ProtobufReader(body, MAGIC.length, body.length); reader.more(); ) {
      const { field, wire } = reader.key();
      if (wire !== 2) reader.skip(wire);
      else if (field === RAW) raw = reader.span();
      else if (field === 1) kind = typeMetaKind(reader.message());
      else reader.skip(wire);
    }
    if (raw === null || kind !== "Status") return null;
    const status: { reason?: string; message?: string } = {};
    for (const reader = new ProtobufReader(body, raw.start, raw.end); reader.more(); ) {
      const { field, wire } = reader.key();
      if (wire === 2 && field === STATUS_MESSAGE) status.message = reader.string();
      else if (wire === 2 && field === STATUS_REASON) {
        const reason = reader.string();
        if (reason) status.reason = reason;
      } else reader.skip(wire);
    }
    return status;
  } catch {
    return null;
  }
}

/** runtime.TypeMeta's kind (field 2). */
function typeMetaKind(reader: ProtobufReader): string {
  let kind = "";
  while (reader.more()) {
    const { field, wire } = reader.key();
    if (field === 2 && wire === 2) kind = reader.string();
    else reader.skip(wire);
  }
  return kind;
}
