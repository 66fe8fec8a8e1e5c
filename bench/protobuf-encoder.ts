/**
 * The fake API server's protobuf: an object as the API server would serve it in
 * `application/vnd.kubernetes.protobuf`, encoded from its JSON by the messages of Kubernetes' own
 * generated.proto files (k8s.io/api, k8s.io/apimachinery), read from the Go module cache the test bed was
 * built from. Fields come in field-number order, as Go writes them; what JSON leaves out is left out (Go
 * also writes a few empty strings, which no reader needs). The types whose JSON is not their message's
 * (times, quantities, int-or-strings, managedFields' field sets) are written as their Go marshalers do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface Field {
  name: string;
  number: number;
  type: string;
  repeated: boolean;
  /** A map's value type (its key is a string in every map here). */
  mapValue?: string;
}

interface Message {
  fields: Field[];
  byName: Map<string, Field>;
}

export type ProtoSchema = Map<string, Message>;

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";

/** The messages of the pod and what it uses, from the module cache `modCache` at these versions. */
export function loadSchema(modCache: string, apiVersion: string): ProtoSchema {
  const apimachinery = join(modCache, "k8s.io", `apimachinery@${apiVersion}`);
  const files = [
    join(modCache, "k8s.io", `api@${apiVersion}`, "core", "v1", "generated.proto"),
    join(apimachinery, "pkg", "apis", "meta", "v1", "generated.proto"),
    join(apimachinery, "pkg", "api", "resource", "generated.proto"),
    join(apimachinery, "pkg", "util", "intstr", "generated.proto"),
    join(apimachinery, "pkg", "runtime", "generated.proto"),
  ];
  const schema: ProtoSchema = new Map();
  for (const file of files) parseProto(readFileSync(file, "utf8"), schema);
  return schema;
}

function parseProto(text: string, schema: ProtoSchema): void {
  const pkg = /^package ([\w.]+);/m.exec(text)?.[1];
  if (!pkg) throw new Error("a .proto file with no package");
  const qualified = (type: string) =>
    type.startsWith(".") ? type.slice(1) : scalars.has(type) ? type : `${pkg}.${type}`;
  for (const [, name, body] of text.matchAll(/^message (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const fields: Field[] = [];
    for (const line of body!.split("\n")) {
      const map = /^\s*map<\s*string\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+);/.exec(line);
      if (map) {
        fields.push({
          name: map[2]!,
          number: Number(map[3]),
          type: "map",
          repeated: true,
          mapValue: qualified(map[1]!),
        });
        continue;
      }
      const field = /^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+);/.exec(line);
      if (field) {
        fields.push({
          name: field[3]!,
          number: Number(field[4]),
          type: qualified(field[2]!),
          repeated: field[1] === "repeated",
        });
      }
    }
    schema.set(`${pkg}.${name}`, { fields, byName: new Map(fields.map((f) => [f.name, f])) });
  }
}

const scalars = new Set(["string", "bytes", "bool", "int32", "int64", "double", "float"]);

/**
 * What the API server frames what it serves in: `k8s\0`, then a runtime.Unknown of `kind` whose raw bytes
 * (`rawLength` of them, written between `head` and `tail`) are the object.
 */
export function envelope(
  apiVersion: string,
  kind: string,
  rawLength: number,
): { head: Buffer; tail: Buffer } {
  const typeMeta = Buffer.concat([
    lengthDelimited(1, Buffer.from(apiVersion)),
    lengthDelimited(2, Buffer.from(kind)),
  ]);
  return {
    head: Buffer.concat([
      Buffer.from("k8s\0", "latin1"),
      lengthDelimited(1, typeMeta),
      key(2, 2),
      varint(rawLength),
    ]),
    tail: Buffer.concat([lengthDelimited(3, Buffer.alloc(0)), lengthDelimited(4, Buffer.alloc(0))]),
  };
}

/** A List's fields before its items: its ListMeta. */
export function listMeta(meta: {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}): Buffer {
  const parts = [lengthDelimited(2, Buffer.from(meta.resourceVersion))];
  if (meta.continue) parts.push(lengthDelimited(3, Buffer.from(meta.continue)));
  if (meta.remainingItemCount !== undefined) parts.push(key(4, 0), varint(meta.remainingItemCount));
  return lengthDelimited(1, Buffer.concat(parts));
}

/** An item of a List: field 2. */
export function listItem(item: Buffer): Buffer {
  return lengthDelimited(2, item);
}

/** A message of `type` from its JSON value. */
export function encode(schema: ProtoSchema, type: string, value: unknown): Buffer {
  return Buffer.concat(render(encodeMessage(schema, type, value), {}));
}

/**
 * A message encoded once from a JSON template whose strings hold `@@KEY@@` markers (bench/cluster-model.ts):
 * each rendering fills them in and works out again only the lengths of the messages that hold them.
 */
export class ProtobufTemplate {
  private readonly pieces: Piece[];
  constructor(schema: ProtoSchema, type: string, json: string) {
    this.pieces = encodeMessage(schema, type, JSON.parse(json));
  }
  render(values: Readonly<Record<string, string>>): Buffer {
    return Buffer.concat(render(this.pieces, values));
  }
}

/**
 * What an encoding is made of: bytes that never change, a length-delimited string holding markers, or a
 * message holding such a string (its length known only once they are filled in).
 */
type Piece = Buffer | { field: number; text: string[] } | { field: number; pieces: Piece[] };

function render(pieces: readonly Piece[], values: Readonly<Record<string, string>>): Buffer[] {
  const out: Buffer[] = [];
  for (const piece of pieces) {
    if (Buffer.isBuffer(piece)) out.push(piece);
    else if ("text" in piece) {
      let text = piece.text[0]!;
      for (let i = 1; i < piece.text.length; i += 2) {
        const value = values[piece.text[i]!];
        if (value === undefined) throw new Error(`no value for @@${piece.text[i]}@@`);
        text += value + piece.text[i + 1]!;
      }
      out.push(lengthDelimited(piece.field, Buffer.from(text)));
    } else {
      const inner = render(piece.pieces, values);
      const length = inner.reduce((sum, bytes) => sum + bytes.length, 0);
      out.push(key(piece.field, 2), varint(length), ...inner);
    }
  }
  return out;
}

/** Adjacent constant bytes joined; a message holding no marker made constant bytes itself. */
function folded(pieces: readonly Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if (Buffer.isBuffer(piece) && Buffer.isBuffer(last)) out[out.length - 1] = Buffer.concat([last, piece]);
    else out.push(piece);
  }
  return out;
}

function message(field: number, pieces: Piece[]): Piece[] {
  const inner = folded(pieces);
  if (inner.every((p) => Buffer.isBuffer(p)))
    return [lengthDelimited(field, Buffer.concat(inner as Buffer[]))];
  return [{ field, pieces: inner }];
}

function text(field: number, value: string): Piece[] {
  const parts = value.split(/@@(\w+)@@/);
  return parts.length === 1 ? [lengthDelimited(field, Buffer.from(value))] : [{ field, text: parts }];
}

function encodeMessage(schema: ProtoSchema, type: string, value: unknown): Piece[] {
  const special = specialEncoders[type];
  if (special) return special(value);
  const declared = schema.get(type);
  if (!declared) throw new Error(`no message ${type} in the schema`);
  const object = value as Record<string, unknown>;
  const parts: [number, Piece[]][] = [];
  // Members of an embedded message whose JSON is inline (a Volume's VolumeSource, a Probe's handler).
  const inline = new Map<Field, Record<string, unknown>>();
  for (const [name, member] of Object.entries(object)) {
    if (member === null || member === undefined) continue;
    const field = declared.byName.get(name);
    if (field) {
      parts.push([field.number, encodeField(schema, field, member)]);
      continue;
    }
    const host = declared.fields.find(
      (f) => !(f.name in object) && schema.get(f.type)?.byName.has(name) === true,
    );
    if (!host) throw new Error(`${type} has no field ${name}`);
    inline.set(host, { ...inline.get(host), [name]: member });
  }
  for (const [field, members] of inline) parts.push([field.number, encodeField(schema, field, members)]);
  parts.sort((a, b) => a[0] - b[0]);
  return folded(parts.flatMap(([, pieces]) => pieces));
}

function encodeField(schema: ProtoSchema, field: Field, value: unknown): Piece[] {
  if (field.mapValue) {
    // Go writes a map's entries sorted by key.
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return entries.flatMap(([k, v]) =>
      message(field.number, [...text(1, k), ...encodeSingle(schema, 2, field.mapValue!, v)]),
    );
  }
  if (field.repeated) {
    return (value as unknown[]).flatMap((element) => encodeSingle(schema, field.number, field.type, element));
  }
  return encodeSingle(schema, field.number, field.type, value);
}

function encodeSingle(schema: ProtoSchema, number: number, type: string, value: unknown): Piece[] {
  switch (type) {
    case "string":
      return text(number, String(value));
    case "bytes":
      return [lengthDelimited(number, Buffer.from(String(value), "base64"))];
    case "bool":
      return [key(number, 0), varint(value ? 1 : 0)];
    case "int32":
    case "int64":
      return [key(number, 0), varint(Number(value))];
    case "double": {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(Number(value));
      return [key(number, 1), bytes];
    }
    default:
      return message(number, encodeMessage(schema, type, value));
  }
}

const specialEncoders: Record<string, (value: unknown) => Piece[]> = {
  // metav1.Time and MicroTime: seconds (and nanoseconds) since the epoch.
  [`${META}.Time`]: (value) => [timestamp(String(value))],
  [`${META}.MicroTime`]: (value) => [timestamp(String(value))],
  // managedFields' field set: its JSON, as bytes (markers and all: a pod's own owner UID is in it).
  [`${META}.FieldsV1`]: (value) => text(1, JSON.stringify(value)),
  "k8s.io.apimachinery.pkg.api.resource.Quantity": (value) => text(1, String(value)),
  "k8s.io.apimachinery.pkg.util.intstr.IntOrString": (value) =>
    typeof value === "number"
      ? [key(1, 0), varint(0), key(2, 0), varint(value)]
      : [key(1, 0), varint(1), ...text(3, String(value))],
  "k8s.io.apimachinery.pkg.runtime.RawExtension": (value) => text(1, JSON.stringify(value)),
};

function timestamp(text: string): Buffer {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${text}`);
  return Buffer.concat([key(1, 0), varint(Math.floor(ms / 1000))]);
}

const smallVarints = Array.from({ length: 128 }, (_, n) => Buffer.from([n]));

function key(number: number, wire: number): Buffer {
  return varint(number * 8 + wire);
}

export function lengthDelimited(number: number, bytes: Buffer): Buffer {
  return Buffer.concat([key(number, 2), varint(bytes.length), bytes]);
}

/** A varint; a negative number as Go writes an int64: ten bytes of two's complement. */
export function varint(value: number): Buffer {
  if (value >= 0 && value < 128) return smallVarints[value]!;
  let v = value < 0 ? BigInt.asUintN(64, BigInt(value)) : BigInt(value);
  const bytes: number[] = [];
  while (v >= 128n) {
    bytes.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}
