/**
 * Protobuf as the API server writes it, for the messages a test needs by hand (a page of pods named
 * only, a Status): length-delimited fields, and the `k8s\0` envelope around a runtime.Unknown.
 */

export function varint(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      bytes.push(v);
      return Buffer.from(bytes);
    }
    bytes.push((v % 128) | 0x80);
  }
}

/** A length-delimited field: a string, or a message's bytes. */
function field(number: number, value: string | Buffer): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([varint(number * 8 + 2), varint(bytes.length), bytes]);
}

/** The envelope: `k8s\0`, then an Unknown of that kind holding `raw`. */
function served(kind: string, raw: Buffer): Buffer {
  const typeMeta = Buffer.concat([field(1, "v1"), field(2, kind)]);
  return Buffer.concat([Buffer.from("k8s\0", "latin1"), field(1, typeMeta), field(2, raw)]);
}

/** A PodList page: its ListMeta (resourceVersion, continue) and pods that have only a name. */
export function podPage(names: readonly string[], resourceVersion: string, next?: string): Buffer {
  const listMeta = Buffer.concat([field(2, resourceVersion), ...(next ? [field(3, next)] : [])]);
  const pods = names.map((name) => field(2, field(1, field(1, name))));
  return served("PodList", Buffer.concat([field(1, listMeta), ...pods]));
}

/** A Status: its message and reason. */
export function status(reason: string, message: string): Buffer {
  return served("Status", Buffer.concat([field(3, message), field(4, reason)]));
}
