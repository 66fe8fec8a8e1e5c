/**
 * Protobuf as the API server writes it, for the messages a test needs by hand (a page of pods named
 * only, a Status), with the bench's encoder of the wire format (bench/protobuf-encoder.ts).
 */
import { envelope, lengthDelimited, listItem, listMeta } from "../../bench/protobuf-encoder.js";

export { varint } from "../../bench/protobuf-encoder.js";

/** A length-delimited field: a string, or a message's bytes. */
function field(number: number, value: string | Buffer): Buffer {
  return lengthDelimited(number, typeof value === "string" ? Buffer.from(value) : value);
}

/** The envelope around `raw`: `k8s\0`, then an Unknown of that kind. */
function served(kind: string, raw: Buffer): Buffer {
  const { head, tail } = envelope("v1", kind, raw.length);
  return Buffer.concat([head, raw, tail]);
}

/** A PodList page: its ListMeta (resourceVersion, continue) and pods that have only a name. */
export function podPage(names: readonly string[], resourceVersion: string, next?: string): Buffer {
  const pods = names.map((name) => listItem(field(1, field(1, name))));
  const meta = listMeta({ resourceVersion, ...(next ? { continue: next } : {}) });
  return served("PodList", Buffer.concat([meta, ...pods]));
}

/** A Status: its message and reason. */
export function status(reason: string, message: string): Buffer {
  return served("Status", Buffer.concat([field(3, message), field(4, reason)]));
}
