/**
 * Pods the API server serves as protobuf are read to the same slim pods as the same pods served as JSON.
 * The fixtures are one list read both ways from the test bed's API server (v1.35) through `kubectl proxy`
 * (`Accept: application/vnd.kubernetes.protobuf`, and JSON): the pods of pods-served-manifest.json, their
 * statuses patched in (an init container that ran, a container still creating, with no imageID), one
 * being deleted (a finalizer holds it), a mirror pod, one never scheduled. status-served.pb is the
 * API server's answer to a bad continue token, asked for as protobuf.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsonListStream } from "../../../src/adapters/json-list-stream.js";
import { continueTokenOf, resourceVersionOf } from "../../../src/adapters/list-request.js";
import { statusFailure } from "../../../src/adapters/page-proxy.js";
import { decodePod, protobufPodReader } from "../../../src/adapters/pod-protobuf.js";
import { type ListMetadata, ProtobufListStream } from "../../../src/adapters/protobuf-list-stream.js";
import { ProtobufReader } from "../../../src/adapters/protobuf-reader.js";
import { podReader, podShape, slimPod } from "../../../src/adapters/slim-objects.js";
import type { Pod } from "../../../src/core/k8s.js";
import { SharedValues } from "../../../src/util/shared-values.js";
import { varint } from "../../support/protobuf.js";

const fixtures = join(import.meta.dirname, "..", "..", "fixtures", "objects");
const servedJson = readFileSync(join(fixtures, "pods-served.json"));
const servedProtobuf = readFileSync(join(fixtures, "pods-served.pb"));

function readJson(body: Buffer): Pod[] {
  const read = podReader(new SharedValues());
  const pods: Pod[] = [];
  const stream = new JsonListStream((text, apart) => pods.push(read(text, apart)), undefined, podShape);
  stream.write(body);
  stream.end();
  return pods;
}

/** The body in the chunks given by `cuts`, as a socket might split it. */
function readProtobuf(body: Buffer, cuts: number[] = []): { pods: Pod[]; metadata: ListMetadata[] } {
  const read = protobufPodReader(new SharedValues());
  const pods: Pod[] = [];
  const metadata: ListMetadata[] = [];
  const stream = new ProtobufListStream(
    (bytes, start, end) => pods.push(read(bytes, start, end)),
    (m) => metadata.push(m),
  );
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    stream.write(Buffer.from(body.subarray(from, cut)));
    from = cut;
  }
  stream.end();
  return { pods, metadata };
}

/** As the plan keeps them: what is undefined is as good as absent. */
const plain = (pods: Pod[]) => JSON.parse(JSON.stringify(pods)) as unknown;

describe("pods served as protobuf", () => {
  const expected = plain(readJson(servedJson));

  it("read to the same slim pods as the same pods served as JSON", () => {
    const { pods } = readProtobuf(servedProtobuf);
    expect(pods.map((p) => p.metadata.name)).toEqual(["db-0", "pending", "static-node-a", "web-5f7c9-abcde"]);
    expect(plain(pods)).toEqual(expected);
    // What the fixture is there for, read as JSON reads it.
    const [db, pending, mirror, web] = pods as [Pod, Pod, Pod, Pod];
    expect(db.metadata.deletionTimestamp).toMatch(/^2026-12-05T14:14:04Z$/);
    expect(db.metadata.ownerReferences).toEqual([
      { apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: expect.any(String), controller: false },
    ]);
    expect(pending.spec.nodeName).toBeUndefined();
    expect(pending.status?.phase).toBe("Pending");
    expect(mirror.metadata.annotations).toEqual({ "kubernetes.io/config.mirror": "" });
    expect(web.status?.containerStatuses?.[1]).toEqual({
      name: "sidecar",
      image: "registry.test/proxy@sha256:2222222222222222222222222222222222222222222222222222222222222222",
      imageID: "",
    });
    expect(web.spec.imagePullSecrets).toEqual([{ name: "regcred" }, {}]);
    expect(web.spec.volumes).toEqual([
      { name: "scratch", emptyDir: {} },
      { name: "data", ephemeral: {} },
    ]);
  });

  it("however the body is split: at every byte, and in three chunks anywhere", () => {
    for (let cut = 1; cut < servedProtobuf.length; cut++) {
      expect(plain(readProtobuf(servedProtobuf, [cut]).pods)).toEqual(expected);
    }
    for (let a = 1; a < servedProtobuf.length; a += 211) {
      for (let b = a + 1; b < servedProtobuf.length; b += 197) {
        expect(plain(readProtobuf(servedProtobuf, [a, b]).pods)).toEqual(expected);
      }
    }
    // Thousands of reads: more than the default 5 s on a busy 2-core machine.
  }, 60_000);

  it("hands over the List's metadata as JSON's: its resourceVersion, no continue token on the last page", () => {
    const { metadata } = readProtobuf(servedProtobuf);
    expect(metadata).toHaveLength(1);
    const json = JSON.parse(servedJson.toString()) as { metadata: unknown };
    expect(resourceVersionOf(metadata[0])).toBe(resourceVersionOf(json.metadata));
    expect(continueTokenOf(metadata[0])).toBeNull();
  });

  it("a body cut short, or one that is not the API server's protobuf, is refused", () => {
    for (const end of [2, 40, servedProtobuf.length - 1]) {
      expect(() => readProtobuf(servedProtobuf.subarray(0, end))).toThrow(SyntaxError);
    }
    expect(() => readProtobuf(Buffer.from('{"kind":"PodList","items":[]}'))).toThrow(SyntaxError);
  });
});

describe("a Status served as protobuf", () => {
  it("is told as kubectl tells the same Status served as JSON", () => {
    expect(statusFailure(400, readFileSync(join(fixtures, "status-served.pb")))).toMatch(
      /^Error from server \(BadRequest\): invalid continue token: .+\n$/,
    );
  });

  it("a protobuf body that is no Status is none", () => {
    expect(statusFailure(500, servedProtobuf)).toBeNull();
  });
});

describe("the pods of one controller", () => {
  /** The fixture's pods, each as its message's bytes. */
  const items: Buffer[] = [];
  const stream = new ProtobufListStream((bytes, start, end) =>
    items.push(Buffer.from(bytes.subarray(start, end))),
  );
  stream.write(servedProtobuf);
  stream.end();
  const web = items[3]!;

  /** The message with field `number`'s first value replaced (its length, and its message's, made anew). */
  function replaced(message: Buffer, number: number, value: (old: Buffer) => Buffer): Buffer {
    const parts: Buffer[] = [];
    let done = false;
    for (const reader = new ProtobufReader(message, 0, message.length); reader.more(); ) {
      const from = reader.pos;
      const { field, wire } = reader.key();
      if (wire !== 2 || field !== number || done) {
        reader.skip(wire);
        parts.push(message.subarray(from, reader.pos));
        continue;
      }
      const { start, end } = reader.span();
      const bytes = value(message.subarray(start, end));
      parts.push(Buffer.from([(number << 3) | 2]), varint(bytes.length), bytes);
      done = true;
    }
    return Buffer.concat(parts);
  }
  const text = (value: string) => () => Buffer.from(value);
  /** The web pod as another of its ReplicaSet's: another name, UID and node. */
  const sibling = (name: string) =>
    replaced(
      replaced(web, 1, (meta) => replaced(replaced(meta, 1, text(name)), 5, text(`uid-${name}`))),
      2,
      (spec) => replaced(spec, 10, text(`node-${name}`)),
    );
  const read = (pods: Buffer[]) => {
    const reader = protobufPodReader(new SharedValues());
    return pods.map((pod) => reader(pod, 0, pod.length));
  };

  it("share what they have in common, and each keeps its own name, UID and node", () => {
    const other = sibling("web-5f7c9-zzzzz");
    const [first, second] = read([web, other]) as [Pod, Pod];
    expect(plain([second])).toEqual(plain([slimPod(decodePod(other, 0, other.length), new SharedValues())]));
    expect(second.metadata).toMatchObject({ name: "web-5f7c9-zzzzz", uid: "uid-web-5f7c9-zzzzz" });
    expect(second.spec.nodeName).toBe("node-web-5f7c9-zzzzz");
    expect(second.spec.containers).toBe(first.spec.containers);
    expect(second.status).toBe(first.status);
  });

  it("share, as real replicas, though each mounts an API token volume of its own in every container", () => {
    // Same-length replacements, as the ServiceAccount admission names each pod's kube-api-access volume.
    const token = /kube-api-access-\w{5}/.exec(web.toString("latin1"))![0];
    const replica = (n: number) => {
      const bytes = Buffer.from(sibling(`web-5f7c9-zzzz${n}`));
      const other = Buffer.from(`kube-api-access-zzzz${n}`);
      for (let at = bytes.indexOf(token); at >= 0; at = bytes.indexOf(token, at + 1)) other.copy(bytes, at);
      return bytes;
    };
    const [first, second] = read([replica(1), replica(2)]) as [Pod, Pod];
    expect(replica(1).includes("kube-api-access-zzzz1")).toBe(true);
    expect(second.status).toBe(first.status);
    expect(second.spec.containers).toBe(first.spec.containers);
    expect(plain([second])).toEqual(
      plain([slimPod(decodePod(replica(2), 0, replica(2).length), new SharedValues())]),
    );
  });

  it("one whose container runs another digest (a status field the slim pod reads) has its own", () => {
    const moved = replaced(web, 3, (status) =>
      replaced(status, 8, (container) =>
        replaced(
          container,
          7,
          text("registry.test/web@sha256:9999999999999999999999999999999999999999999999999999999999999999"),
        ),
      ),
    );
    const [first, second] = read([web, moved]) as [Pod, Pod];
    expect(second.status).not.toBe(first.status);
    expect(second.status?.containerStatuses?.[0]?.imageID).toMatch(/sha256:9{64}$/);
    expect(plain([second])).toEqual(plain([slimPod(decodePod(moved, 0, moved.length), new SharedValues())]));
  });

  it("one that differs in a few bytes of what the slim pod reads (a label, its phase) has its own", () => {
    // Same lengths: only the bytes tell them apart.
    const flipped = (value: Buffer) =>
      Buffer.from(`${value.subarray(0, -1)}${value.at(-1) === 0x78 ? "y" : "x"}`);
    const relabelled = replaced(web, 1, (meta) => replaced(meta, 11, (entry) => replaced(entry, 2, flipped)));
    const phase = (bytes: Buffer) => replaced(bytes, 3, (status) => replaced(status, 1, text("Pending")));
    const [first, second, third] = read([phase(web), relabelled, phase(relabelled)]) as [Pod, Pod, Pod];
    expect(first.status?.phase).toBe("Pending");
    expect(second.metadata.labels).not.toEqual(first.metadata.labels);
    expect(second.status?.phase).toBe("Running");
    expect(third.status?.phase).toBe("Pending");
    expect(plain([second])).toEqual(
      plain([slimPod(decodePod(relabelled, 0, relabelled.length), new SharedValues())]),
    );
  });

  it("are told apart though each is read from one buffer that the next overwrites (a page through the proxy)", () => {
    const flipped = (value: Buffer) =>
      Buffer.from(`${value.subarray(0, -1)}${value.at(-1) === 0x78 ? "y" : "x"}`);
    const relabelled = replaced(web, 1, (meta) => replaced(meta, 11, (entry) => replaced(entry, 2, flipped)));
    const lent = Buffer.alloc(web.length);
    const reader = protobufPodReader(new SharedValues());
    const readLent = (pod: Buffer) => {
      pod.copy(lent);
      return reader(lent, 0, pod.length);
    };
    const order = [web, web, relabelled, relabelled, web];
    const pods = order.map(readLent);
    expect(plain(pods)).toEqual(plain(read(order)));
    expect(pods[2]!.metadata.labels).not.toEqual(pods[1]!.metadata.labels);
    expect(pods[3]!.spec.containers).toBe(pods[2]!.spec.containers);
    expect(pods[4]!.metadata.labels).toEqual(pods[0]!.metadata.labels);
  });
});

describe("the wire format", () => {
  it("a varint of more than ten bytes (64 bits) is refused", () => {
    const eleven = Buffer.from([...Array(10).fill(0x80), 0x01]);
    expect(() => new ProtobufReader(eleven, 0, eleven.length).varint()).toThrow(SyntaxError);
    const ten = Buffer.from([...Array(9).fill(0xff), 0x01]);
    expect(new ProtobufReader(ten, 0, ten.length).varint()).toBeGreaterThan(2 ** 63);
  });
});
