/**
 * A pod read from the API server's protobuf (k8s.io/api core/v1 generated.proto): only the fields podShape
 * keeps (slim-objects.ts), everything else passed over by its length. The pod comes out as its JSON would
 * parse once cut to podShape, so slimPod makes the same slim pod of either: a string field JSON leaves out
 * when empty (`omitempty`) is left out here too, and one it always writes is kept even when empty.
 */
import type { Container, ContainerStatus, OwnerReference, Pod, Volume } from "../core/k8s.js";
import type { SharedValues } from "../util/shared-values.js";
import type { ProtobufItemReader } from "./protobuf-list-stream.js";
import { ProtobufReader, valueEnd, varintAt, varintRead } from "./protobuf-reader.js";
import { podAnnotations, recentTemplates, slimPod, volumesLostWithPod } from "./slim-objects.js";

const LENGTH_DELIMITED = 2;
const annotationsRead = new Set<string>(podAnnotations);

/** The pod whose message is bytes[start, end). */
export function decodePod(bytes: Buffer, start: number, end: number): Pod {
  const pod: Pod = { metadata: {} as Pod["metadata"], spec: { containers: [] } };
  messageFields(new ProtobufReader(bytes, start, end), (field, value) => {
    if (field === 1) pod.metadata = objectMeta(value);
    else if (field === 2) pod.spec = podSpec(value);
    else if (field === 3) pod.status = podStatus(value);
  });
  return pod;
}

/** Calls `read` with each length-delimited field's number and a reader of its value; skips the others. */
function messageFields(reader: ProtobufReader, read: (field: number, value: ProtobufReader) => void): void {
  while (reader.more()) {
    const { field, wire } = reader.key();
    if (wire === LENGTH_DELIMITED) read(field, reader.message());
    else reader.skip(wire);
  }
}

/** The message's string fields by number, as named in `names`; the empty ones only where `always`. */
function stringFields<T extends object>(
  reader: ProtobufReader,
  names: Readonly<Record<number, keyof T & string>>,
  always: ReadonlySet<string> = none,
): T {
  const out: Record<string, string> = {};
  messageFields(reader, (field, value) => {
    const name = names[field];
    if (name === undefined) return;
    const text = textOf(value);
    if (text !== "" || always.has(name)) out[name] = text;
  });
  return out as T;
}

const none = new Set<string>();

/** A length-delimited value as UTF-8 text. */
function textOf(value: ProtobufReader): string {
  return value.bytes.toString("utf8", value.pos, value.end);
}

function objectMeta(reader: ProtobufReader): Pod["metadata"] {
  const meta: Partial<Pod["metadata"]> = {};
  messageFields(reader, (field, value) => {
    switch (field) {
      case 1:
      case 3:
      case 5: {
        const text = textOf(value);
        if (text !== "") meta[field === 1 ? "name" : field === 3 ? "namespace" : "uid"] = text;
        break;
      }
      case 9:
        meta.deletionTimestamp = rfc3339(value);
        break;
      case 11: {
        const [key, entry] = mapEntry(value);
        meta.labels ??= {};
        meta.labels[key] = entry;
        break;
      }
      case 12: {
        const [key, entry] = mapEntry(value);
        if (!annotationsRead.has(key)) break;
        meta.annotations ??= {};
        meta.annotations[key] = entry;
        break;
      }
      case 13:
        meta.ownerReferences ??= [];
        meta.ownerReferences.push(ownerReference(value));
        break;
    }
  });
  return meta as Pod["metadata"];
}

function mapEntry(reader: ProtobufReader): [string, string] {
  let key = "";
  let value = "";
  messageFields(reader, (field, entry) => {
    if (field === 1) key = textOf(entry);
    else if (field === 2) value = textOf(entry);
  });
  return [key, value];
}

/** A metav1.Time as JSON writes it: RFC 3339 in UTC, to the second. */
function rfc3339(reader: ProtobufReader): string {
  let seconds = 0;
  while (reader.more()) {
    const { field, wire } = reader.key();
    if (field === 1 && wire === 0) seconds = reader.varint();
    else reader.skip(wire);
  }
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

function ownerReference(reader: ProtobufReader): OwnerReference {
  const owner: Partial<OwnerReference> = {};
  while (reader.more()) {
    const { field, wire } = reader.key();
    if (field === 6 && wire === 0) owner.controller = reader.varint() !== 0;
    else if (wire !== LENGTH_DELIMITED) reader.skip(wire);
    else {
      const text = reader.string();
      // Each written whatever its value, as JSON writes them.
      if (field === 5) owner.apiVersion = text;
      else if (field === 1) owner.kind = text;
      else if (field === 3) owner.name = text;
      else if (field === 4) owner.uid = text;
    }
  }
  return owner as OwnerReference;
}

const containerFields = { 1: "name", 2: "image", 14: "imagePullPolicy" } as const;
const containerStatusFields = { 1: "name", 6: "image", 7: "imageID" } as const;
const statusAlways = new Set(["name", "image", "imageID"]);
const nameAlways = new Set(["name"]);

function podSpec(reader: ProtobufReader): Pod["spec"] {
  const spec: Pod["spec"] = { containers: [] };
  messageFields(reader, (field, value) => {
    switch (field) {
      case 1:
        spec.volumes ??= [];
        spec.volumes.push(volume(value));
        break;
      case 2:
        spec.containers.push(stringFields<Container>(value, containerFields, nameAlways));
        break;
      case 20:
        spec.initContainers ??= [];
        spec.initContainers.push(stringFields<Container>(value, containerFields, nameAlways));
        break;
      case 8:
      case 10: {
        const text = textOf(value);
        if (text !== "") spec[field === 8 ? "serviceAccountName" : "nodeName"] = text;
        break;
      }
      case 15:
        spec.imagePullSecrets ??= [];
        spec.imagePullSecrets.push(stringFields<{ name: string }>(value, { 1: "name" }));
        break;
    }
  });
  return spec;
}

/** A Volume's VolumeSource, and in it the sources whose data goes with the pod. */
const VOLUME_SOURCE = 2;
const EMPTY_DIR = 2;
const EPHEMERAL = 29;

/** A volume's name, and whether its data goes with the pod (emptyDir, a generic ephemeral volume). */
function volume(reader: ProtobufReader): Volume {
  const read: Volume = { name: "" };
  messageFields(reader, (field, value) => {
    if (field === 1) read.name = textOf(value);
    else if (field === VOLUME_SOURCE) {
      messageFields(value, (source) => {
        if (source === EMPTY_DIR) read.emptyDir = {};
        else if (source === EPHEMERAL) read.ephemeral = {};
      });
    }
  });
  return read;
}

function podStatus(reader: ProtobufReader): NonNullable<Pod["status"]> {
  const status: NonNullable<Pod["status"]> = {};
  messageFields(reader, (field, value) => {
    if (field === 1) {
      const phase = textOf(value);
      if (phase !== "") status.phase = phase;
    } else if (field === 8 || field === 10) {
      const read = stringFields<ContainerStatus>(value, containerStatusFields, statusAlways);
      const key = field === 8 ? "containerStatuses" : "initContainerStatuses";
      status[key] = [...(status[key] ?? []), read];
    }
  });
  return status;
}

/**
 * Reads pods served as protobuf as podReader reads them as JSON: what is the same for every pod of a
 * controller (all but its name, UID, node and volumes) is decoded and slimmed once per run of such pods, and
 * only those four are read per pod. A pod's key is the bytes of every field the slim pod is made of, each
 * whole (tag, length, value), in order; a pod whose key is the last pod's, or one of the last few, shares
 * its template. The scan allocates nothing but the pod's own strings (150,000 pods go through it); a
 * pod's bytes are lent, so the last pod's key is a copy, made only when it differs from the one before.
 */
export function protobufPodReader(shared: SharedValues): ProtobufItemReader<Pod> {
  let templates = new Map<string, Pod>();
  let scan = new PodScan();
  let last = new PodScan();
  let lastTemplate: Pod | undefined;
  return (bytes, start, end) => {
    scan.read(bytes, start, end);
    let template = lastTemplate !== undefined && scan.sameKey(last) ? lastTemplate : undefined;
    if (template === undefined) {
      const key = scan.keyText();
      template = templates.get(key);
      if (template === undefined) {
        template = slimPod(decodePod(bytes, start, end), shared);
        Object.freeze(template.status);
        if (templates.size >= recentTemplates) templates = new Map();
        templates.set(key, template);
      }
    }
    const pod: Pod = {
      metadata: { ...template.metadata, name: scan.name, uid: scan.uid },
      spec: {
        ...template.spec,
        nodeName: shared.string(scan.nodeName),
        volumes: scan.lostVolumes() ? volumesLostWithPod(scan.volumes(), shared) : undefined,
      },
      status: template.status,
    };
    if (template !== lastTemplate) {
      scan.keepKey();
      [last, scan] = [scan, last];
      lastTemplate = template;
    }
    return pod;
  };
}

/**
 * One pod's own fields (name, UID, node, volumes) and its key: the byte ranges of the fields podShape keeps
 * but those, in the pod's buffer (the last pod's in a copy). Read again for each pod; two take turns, this
 * pod's and the last one's.
 */
class PodScan {
  name = "";
  uid: string | undefined;
  nodeName: string | undefined;
  private bytes: Buffer = Buffer.alloc(0);
  /** Where keepKey copies the key's bytes. */
  private kept: Buffer = Buffer.alloc(0);
  /** start, end, start, end… (or MARK, which: see keyFields) */
  private readonly key: number[] = [];
  private readonly volumeRanges: number[] = [];
  private lost = false;
  /** The field nextField read: its number, where it began (its tag) and its value's bounds. */
  private field = 0;
  private from = 0;
  private valueStart = 0;
  private valueEnd = 0;

  read(bytes: Buffer, start: number, end: number): void {
    this.bytes = bytes;
    this.name = "";
    this.uid = undefined;
    this.nodeName = undefined;
    this.key.length = 0;
    this.volumeRanges.length = 0;
    this.lost = false;
    for (let pos = this.nextField(start, end); pos >= 0; pos = this.nextField(pos, end)) {
      const [s, e] = [this.valueStart, this.valueEnd];
      // Each part marked, so no field of one can pass for a field of the list before it.
      if (this.field <= 3) this.key.push(MARK, PART + this.field);
      if (this.field === 1) this.metadata(s, e);
      else if (this.field === 2) this.spec(s, e);
      else if (this.field === 3) this.status(s, e);
    }
  }

  private metadata(start: number, end: number): void {
    const { bytes } = this;
    for (let pos = this.nextField(start, end); pos >= 0; pos = this.nextField(pos, end)) {
      const { field, from, valueStart: s, valueEnd: e } = this;
      if (field === 1) this.name = bytes.toString("utf8", s, e);
      else if (field === 5) this.uid = e > s ? bytes.toString("utf8", s, e) : undefined;
      else if (field === 3 || field === 9 || field === 11 || field === 13) this.keyRange(from, e);
      else if (field === 12 && annotationsRead.has(this.entryKey(s, e))) this.keyRange(from, e);
    }
  }

  private spec(start: number, end: number): void {
    const { bytes } = this;
    for (let pos = this.nextField(start, end); pos >= 0; pos = this.nextField(pos, end)) {
      const { field, from, valueStart: s, valueEnd: e } = this;
      if (field === 10) this.nodeName = e > s ? bytes.toString("utf8", s, e) : undefined;
      else if (field === 1) {
        this.volumeRanges.push(s, e);
        if (!this.lost) this.lost = this.goesWithPod(s, e);
      } else if (field === 2 || field === 20) {
        // A container holds what differs from pod to pod (the mount of its own API token volume,
        // kube-api-access-xxxxx): only what is read goes in the key, after its tag (containers or init).
        this.keyFields(field === 2 ? CONTAINER : INIT_CONTAINER, s, e, 1, 2, 14);
      } else if (field === 8 || field === 15) this.keyRange(from, e);
    }
  }

  private status(start: number, end: number): void {
    for (let pos = this.nextField(start, end); pos >= 0; pos = this.nextField(pos, end)) {
      const { field, from, valueStart: s, valueEnd: e } = this;
      if (field === 1) this.keyRange(from, e);
      else if (field === 8 || field === 10) {
        // A container's status holds what changes with every restart (its state, its container ID).
        this.keyFields(field === 8 ? STATUS : INIT_STATUS, s, e, 1, 6, 7);
      }
    }
  }

  /**
   * Puts in the key a mark of which list the message is in, then those of its fields numbered a, b or c:
   * what is read of it. The mark is no byte range but (MARK, which): no bytes can spell it.
   */
  private keyFields(which: number, start: number, end: number, a: number, b: number, c: number): void {
    this.key.push(MARK, which);
    for (let pos = this.nextField(start, end); pos >= 0; pos = this.nextField(pos, end)) {
      const { field } = this;
      if (field === a || field === b || field === c) this.keyRange(this.from, this.valueEnd);
    }
  }

  /**
   * Puts bytes[from, end) in the key; a range that follows the last one on (labels, one field each) extends
   * it: fewer, longer ranges to compare with the last pod's.
   */
  private keyRange(from: number, end: number): void {
    const { key } = this;
    const n = key.length;
    if (n > 0 && key[n - 2] !== MARK && key[n - 1] === from) key[n - 1] = end;
    else key.push(from, end);
  }

  /** A map entry's key (field 1). */
  private entryKey(start: number, end: number): string {
    for (let pos = this.nextField(start, end); pos >= 0; pos = this.nextField(pos, end)) {
      if (this.field === 1) return this.bytes.toString("utf8", this.valueStart, this.valueEnd);
    }
    return "";
  }

  /** Whether a volume's data goes with its pod (as `volume` reads it, without making one). */
  private goesWithPod(start: number, end: number): boolean {
    for (let pos = this.nextField(start, end); pos >= 0; pos = this.nextField(pos, end)) {
      if (this.field !== VOLUME_SOURCE) continue;
      const [s, e] = [this.valueStart, this.valueEnd];
      for (let at = this.nextField(s, e); at >= 0; at = this.nextField(at, e)) {
        if (this.field === EMPTY_DIR || this.field === EPHEMERAL) return true;
      }
    }
    return false;
  }

  lostVolumes(): boolean {
    return this.lost;
  }

  volumes(): Volume[] {
    const read: Volume[] = [];
    for (let i = 0; i < this.volumeRanges.length; i += 2) {
      read.push(volume(new ProtobufReader(this.bytes, this.volumeRanges[i]!, this.volumeRanges[i + 1]!)));
    }
    return read;
  }

  /** Copies the key's bytes out of the pod's (lent) buffer, so it can be compared with the next pods'. */
  keepKey(): void {
    const { key } = this;
    let length = 0;
    for (let i = 0; i < key.length; i += 2) if (key[i] !== MARK) length += key[i + 1]! - key[i]!;
    if (this.kept.length < length) this.kept = Buffer.allocUnsafe(Math.max(length, 2 * this.kept.length));
    let at = 0;
    for (let i = 0; i < key.length; i += 2) {
      if (key[i] === MARK) continue;
      const [start, end] = [key[i]!, key[i + 1]!];
      this.bytes.copy(this.kept, at, start, end);
      key[i] = at;
      key[i + 1] = at += end - start;
    }
    this.bytes = this.kept;
  }

  sameKey(other: PodScan): boolean {
    const [a, b] = [this.key, other.key];
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 2) {
      if (a[i] === MARK || b[i] === MARK) {
        if (a[i] !== b[i] || a[i + 1] !== b[i + 1]) return false;
      } else if (a[i + 1]! - a[i]! !== b[i + 1]! - b[i]!) return false;
    }
    for (let i = 0; i < a.length; i += 2) {
      if (a[i] === MARK) continue;
      if (!sameBytes(this.bytes, a[i]!, other.bytes, b[i]!, a[i + 1]! - a[i]!)) return false;
    }
    return true;
  }

  /** The key as text: its bytes as Latin-1, each mark a character beyond Latin-1. */
  keyText(): string {
    const { key, bytes } = this;
    let text = "";
    for (let i = 0; i < key.length; i += 2) {
      text +=
        key[i] === MARK
          ? String.fromCharCode(0x100 + key[i + 1]!)
          : bytes.toString("latin1", key[i]!, key[i + 1]!);
    }
    return text;
  }

  /**
   * Reads the next length-delimited field at or after `pos` (others are passed over) into `field`, `from`,
   * `valueStart` and `valueEnd`; returns where the field after it begins, or -1 at `end`.
   */
  private nextField(pos: number, end: number): number {
    const { bytes } = this;
    while (pos < end) {
      this.from = pos;
      const key = varint(bytes, pos, end);
      pos = varintRead.end;
      const wire = key & 7;
      if (wire === LENGTH_DELIMITED) {
        const length = varint(bytes, pos, end);
        this.field = key >>> 3;
        this.valueStart = varintRead.end;
        this.valueEnd = varintRead.end + length;
        if (this.valueEnd > end) throw new SyntaxError("a protobuf field runs past its message");
        return this.valueEnd;
      }
      pos = valueEnd(bytes, pos, end, wire);
      if (pos < 0 || pos > end) throw new SyntaxError("a protobuf field runs past its message");
    }
    return -1;
  }
}

/**
 * Whether a[aStart…] and b[bStart…] hold the same `length` bytes. Most of a key's ranges are a few dozen
 * bytes, which a loop compares sooner than Buffer.compare's checks and call into C++ would.
 */
function sameBytes(a: Buffer, aStart: number, b: Buffer, bStart: number, length: number): boolean {
  if (length > 64) return a.compare(b, bStart, bStart + length, aStart, aStart + length) === 0;
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** A mark in a key (in place of a range's start), and which list the fields after it are of. */
const MARK = -1;
const CONTAINER = 1;
const INIT_CONTAINER = 2;
const STATUS = 3;
const INIT_STATUS = 4;
/** Then metadata, spec and status: PART + their field numbers. */
const PART = 10;

/** The varint at bytes[pos…end), where it ends in `varintRead.end`; refused when the bytes end first. */
function varint(bytes: Buffer, pos: number, end: number): number {
  const value = varintAt(bytes, pos, end);
  if (value < 0) throw new SyntaxError("a protobuf varint runs past its message");
  return value;
}
