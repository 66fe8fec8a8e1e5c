/**
 * A pod read from the API server's protobuf (k8s.io/api core/v1 generated.proto): only the fields podShape
 * keeps (slim-objects.ts), everything else passed over by its length. The pod comes out as its JSON would
 * parse once cut to podShape, so slimPod makes the same slim pod of either: a string field JSON leaves out
 * when empty (`omitempty`) is left out here too, and one it always writes is kept even when empty.
 */
import type { Container, ContainerStatus, OwnerReference, Pod, Volume } from "../core/k8s.js";
import type { SharedValues } from "../util/shared-values.js";
import type { ProtobufItemReader } from "./protobuf-list-stream.js";
import { ProtobufReader } from "./protobuf-reader.js";
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

/** A volume's name, and whether its data goes with the pod (emptyDir, a generic ephemeral volume). */
function volume(reader: ProtobufReader): Volume {
  const read: Volume = { name: "" };
  messageFields(reader, (field, value) => {
    if (field === 1) read.name = textOf(value);
    else if (field === 2) {
      messageFields(value, (source) => {
        if (source === 2) read.emptyDir = {};
        else if (source === 29) read.ephemeral = {};
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
 * its template. Comparing with the last pod's key reads its bytes where they lie, allocating nothing.
 */
export function protobufPodReader(shared: SharedValues): ProtobufItemReader<Pod> {
  let templates = new Map<string, Pod>();
  let last: { bytes: Buffer; key: number[]; template: Pod } | null = null;
  return (bytes, start, end) => {
    const own = ownFields(bytes, start, end);
    let template = last && sameKey(last.bytes, last.key, bytes, own.key) ? last.template : undefined;
    if (template === undefined) {
      const key = keyText(bytes, own.key);
      template = templates.get(key);
      if (template === undefined) {
        template = slimPod(decodePod(bytes, start, end), shared);
        Object.freeze(template.status);
        if (templates.size >= recentTemplates) templates = new Map();
        templates.set(key, template);
      }
    }
    last = { bytes, key: own.key, template };
    return {
      metadata: { ...template.metadata, name: own.name, uid: own.uid },
      spec: {
        ...template.spec,
        nodeName: shared.string(own.nodeName),
        volumes: own.volumes && volumesLostWithPod(own.volumes, shared),
      },
      status: template.status,
    };
  };
}

/** What a pod has of its own, and where the rest lies (see protobufPodReader). */
interface OwnFields {
  /** The key's byte ranges in the pod's buffer: start, end, start, end… */
  key: number[];
  name: string;
  uid?: string;
  nodeName?: string;
  /** Only when one of them goes with the pod (emptyDir, ephemeral): most pods have none. */
  volumes?: Volume[];
}

function sameKey(aBytes: Buffer, a: readonly number[], bBytes: Buffer, b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i + 1]! - a[i]! !== b[i + 1]! - b[i]!) return false;
  }
  for (let i = 0; i < a.length; i += 2) {
    if (aBytes.compare(bBytes, b[i]!, b[i + 1]!, a[i]!, a[i + 1]!) !== 0) return false;
  }
  return true;
}

function keyText(bytes: Buffer, key: readonly number[]): string {
  let text = "";
  for (let i = 0; i < key.length; i += 2) text += bytes.toString("latin1", key[i]!, key[i + 1]!);
  return text;
}

/** Where the last varint read (varintAt) ended. */
let varintEnd = 0;

function varintAt(bytes: Buffer, pos: number, end: number): number {
  let value = 0;
  for (let at = pos, scale = 1; at < end; scale *= 128) {
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      varintEnd = at;
      return value;
    }
    if (scale > 2 ** 63) break;
  }
  throw new SyntaxError("a protobuf varint runs past its message");
}

/**
 * Calls `read` with each length-delimited field of the message at bytes[start, end): its number, where
 * the field begins (its tag), and its value's bounds. Other fields are passed over.
 */
function eachField(
  bytes: Buffer,
  start: number,
  end: number,
  read: (field: number, from: number, valueStart: number, valueEnd: number) => void,
): void {
  for (let pos = start; pos < end; ) {
    const from = pos;
    const key = varintAt(bytes, pos, end);
    pos = varintEnd;
    const wire = key & 7;
    if (wire === LENGTH_DELIMITED) {
      const length = varintAt(bytes, pos, end);
      const valueStart = varintEnd;
      pos = valueStart + length;
      if (pos > end) throw new SyntaxError("a protobuf field runs past its message");
      read(key >>> 3, from, valueStart, pos);
    } else if (wire === 0) {
      varintAt(bytes, pos, end);
      pos = varintEnd;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else {
      throw new SyntaxError(`protobuf wire type ${wire} is not one the API server writes`);
    }
  }
}

/** The pod's own fields, and its key: the fields podShape keeps but those, as they lie in `bytes`. */
function ownFields(bytes: Buffer, start: number, end: number): OwnFields {
  const key: number[] = [];
  const own: Omit<OwnFields, "key"> = { name: "" };
  const volumes: number[] = [];
  let lost = false;
  eachField(bytes, start, end, (field, _from, valueStart, valueEnd) => {
    if (field === 1) {
      eachField(bytes, valueStart, valueEnd, (meta, from, s, e) => {
        if (meta === 1) own.name = bytes.toString("utf8", s, e);
        else if (meta === 5) {
          if (e > s) own.uid = bytes.toString("utf8", s, e);
        } else if (meta === 3 || meta === 9 || meta === 11 || meta === 13) key.push(from, e);
        else if (meta === 12 && annotationsRead.has(entryKey(bytes, s, e))) key.push(from, e);
      });
    } else if (field === 2) {
      eachField(bytes, valueStart, valueEnd, (spec, from, s, e) => {
        if (spec === 10) {
          if (e > s) own.nodeName = bytes.toString("utf8", s, e);
        } else if (spec === 1) {
          volumes.push(s, e);
          lost ||= goesWithPod(bytes, s, e);
        } else if (spec === 2 || spec === 20 || spec === 8 || spec === 15) key.push(from, e);
      });
    } else if (field === 3) {
      eachField(bytes, valueStart, valueEnd, (status, from, s, e) => {
        if (status === 1) key.push(from, e);
        else if (status === 8 || status === 10) {
          // A container's status holds what changes with every restart (its state, its container ID): only
          // what is read goes in the key, after the status' own tag, which tells the two lists apart.
          key.push(from, from + 1);
          eachField(bytes, s, e, (f, at, _s, fieldEnd) => {
            if (f === 1 || f === 6 || f === 7) key.push(at, fieldEnd);
          });
        }
      });
    }
  });
  if (!lost) return { ...own, key };
  const read: Volume[] = [];
  for (let i = 0; i < volumes.length; i += 2) {
    read.push(volume(new ProtobufReader(bytes, volumes[i]!, volumes[i + 1]!)));
  }
  return { ...own, key, volumes: read };
}

/** A map entry's key. */
function entryKey(bytes: Buffer, start: number, end: number): string {
  let key = "";
  eachField(bytes, start, end, (field, _from, s, e) => {
    if (field === 1) key = bytes.toString("utf8", s, e);
  });
  return key;
}

/** Whether a volume's data goes with its pod: emptyDir (2) or ephemeral (29) in its VolumeSource (2). */
function goesWithPod(bytes: Buffer, start: number, end: number): boolean {
  let goes = false;
  eachField(bytes, start, end, (field, _from, s, e) => {
    if (field !== 2) return;
    eachField(bytes, s, e, (source) => {
      if (source === 2 || source === 29) goes = true;
    });
  });
  return goes;
}
