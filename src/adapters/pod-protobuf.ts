/**
 * A pod read from the API server's protobuf (k8s.io/api core/v1 generated.proto): only the fields podShape
 * keeps (slim-objects.ts), everything else passed over by its length. The pod comes out as its JSON would
 * parse once cut to podShape, so slimPod makes the same slim pod of either: a string field JSON leaves out
 * when empty (`omitempty`) is left out here too, and one it always writes is kept even when empty.
 */
import type { Container, ContainerStatus, OwnerReference, Pod, Volume } from "../core/k8s.js";
import { ProtobufReader } from "./protobuf-reader.js";
import { podAnnotations } from "./slim-objects.js";

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
