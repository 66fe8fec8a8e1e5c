import { describe, expect, it } from "vitest";
import { JsonListStream, leadingObjectName, type Shape } from "../../../src/adapters/json-list-stream.js";
import { chunkUses, writeInChunks } from "../../support/chunks.js";

function read(chunks: (string | Buffer)[]): unknown[] {
  const items: unknown[] = [];
  const stream = new JsonListStream((text) => items.push(JSON.parse(text)));
  for (const c of chunks) stream.write(c);
  stream.end();
  return items;
}

const list = {
  apiVersion: "v1",
  kind: "List",
  metadata: { resourceVersion: "", note: "items: [ { not an item } ]" },
  items: [
    {
      metadata: { name: "a", annotations: { q: 'brace } and "quote" \\\\ [x]' } },
      spec: { containers: [{ name: "c" }] },
    },
    { metadata: { name: "ünïcode ✓" }, items: [{ nested: true }] },
  ],
};

describe("JsonListStream", () => {
  it("yields each item of kubectl's List, whatever the chunking, kubectl's 4-space indent included", () => {
    const text = JSON.stringify(list, null, 4);
    expect(read([text])).toEqual(list.items);
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(read(chunks)).toEqual(list.items);
    }
  });

  it("an empty list has no items; metadata before items is skipped", () => {
    expect(read([JSON.stringify({ kind: "List", metadata: {}, items: [] })])).toEqual([]);
  });

  it.each([
    ["garbage", "<html>proxy error</html>"],
    ["truncated", JSON.stringify(list).slice(0, 80)],
    ["no items", JSON.stringify({ kind: "Pod", metadata: { name: "x" } })],
    ["empty", ""],
  ])("%s is an error", (_, text) => {
    expect(() => read([text])).toThrow();
  });
});

describe("JsonListStream: the List's metadata", () => {
  it("is handed over once complete, before the first item when it comes first (an API server's page)", () => {
    const events: string[] = [];
    const stream = new JsonListStream(
      (text) => events.push(`item ${(JSON.parse(text) as { metadata: { name: string } }).metadata.name}`),
      (metadata) => events.push(`metadata ${JSON.stringify(metadata)}`),
    );
    const page = JSON.stringify({
      kind: "PodList",
      apiVersion: "v1",
      metadata: { resourceVersion: "42", continue: "tok{en}", remainingItemCount: 7 },
      items: [{ metadata: { name: "a" } }, { metadata: { name: "b" } }],
    });
    for (const ch of page) stream.write(ch);
    stream.end();
    expect(events).toEqual([
      'metadata {"resourceVersion":"42","continue":"tok{en}","remainingItemCount":7}',
      "item a",
      "item b",
    ]);
  });

  it("after the items, too; an item's own metadata is never taken for the List's", () => {
    const seen: unknown[] = [];
    const stream = new JsonListStream(
      () => {},
      (metadata) => seen.push(metadata),
    );
    stream.write(
      JSON.stringify({ items: [{ metadata: { continue: "no" } }], metadata: { continue: "yes" } }),
    );
    stream.end();
    expect(seen).toEqual([{ continue: "yes" }]);
  });
});

describe("JsonListStream: an item's metadata.managedFields is cut out before parsing", () => {
  const pod = (name: string, extra: object = {}) => ({
    metadata: {
      name,
      managedFields: [
        { manager: "kubelet", fieldsV1: { "f:status": { 'k:{"ip":"x"}': {} } }, note: "]}[{\\" },
      ],
      labels: { managedFields: "a label value, kept" },
      ...extra,
    },
    spec: { template: { metadata: { managedFields: [{ nested: "kept: not an item's own metadata" }] } } },
    status: { message: '"managedFields": [ in a string ]' },
  });
  const without = (item: ReturnType<typeof pod>) => {
    const { managedFields, ...metadata } = item.metadata;
    return { ...item, metadata };
  };

  it("whatever the chunking; everything else, at any other depth, is kept", () => {
    const items = [pod("a"), pod("b", { annotations: { x: "y" } }), { metadata: { name: "c" }, spec: {} }];
    const bytes = Buffer.from(
      JSON.stringify({ kind: "PodList", metadata: { continue: "t" }, items }, null, 2),
    );
    for (const size of [1, 2, 3, 5, 7, 13, 64, bytes.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(read(chunks)).toEqual([without(items[0] as never), without(items[1] as never), items[2]]);
    }
  });

  it("as the first, the last or the only member of metadata, and when compact", () => {
    const managedFields = [{ a: [1, { b: 2 }] }];
    const items = [
      { metadata: { name: "z", managedFields }, status: { phase: "Running" } },
      { metadata: { managedFields, name: "y" } },
      { metadata: { managedFields } },
    ];
    expect(read([JSON.stringify({ items })])).toEqual([
      { metadata: { name: "z" }, status: { phase: "Running" } },
      { metadata: { name: "y" } },
      { metadata: {} },
    ]);
  });
});

describe("JsonListStream: an item cut to a Shape before parsing", () => {
  const shape: Shape = {
    keep: {
      name: true,
      labels: true,
      spec: { keep: { containers: { keep: { image: true }, others: "drop" } }, others: "drop" },
    },
    others: "drop",
  };
  // Members cut out come first, last, in a row and alone, so every comma case is met.
  const item = {
    note: 'a dropped string with "quotes", \\ and } ] { [',
    count: 3,
    name: 'a "quoted" \\ name ✓',
    labels: { any: "kept whole", nested: { deep: ["x"] } },
    spec: {
      containers: [
        { image: "one", env: [{ name: "A", value: "}" }], args: "--x", short: "x", none: [] },
        { ready: true, flag: false, empty: {}, image: "two" },
        { args: ["--only", "cut"] },
      ],
      volumes: [{ name: "v" }],
      dns: "ClusterFirst",
    },
    status: { phase: "Running", conditions: [{ type: "Ready" }] },
  };
  const expected = {
    name: item.name,
    labels: item.labels,
    spec: { containers: [{ image: "one" }, { image: "two" }, {}] },
  };

  it("keeps what it names (whole, or some members of each element) and removes every other member, whatever the chunking", () => {
    for (const text of [
      JSON.stringify({ items: [item, item] }),
      JSON.stringify({ items: [item] }, null, 4),
    ]) {
      const bytes = Buffer.from(text);
      for (let size = 1; size <= 64; size++) {
        for (const use of chunkUses) {
          const items: unknown[] = [];
          const stream = new JsonListStream((t) => items.push(JSON.parse(t)), undefined, shape);
          writeInChunks(stream, bytes, size, use);
          stream.end();
          expect(items).toEqual(text.includes("    ") ? [expected] : [expected, expected]);
        }
      }
      expect(bytes.toString()).toBe(text);
    }
  });

  it("the List's metadata is never cut", () => {
    const seen: unknown[] = [];
    const stream = new JsonListStream(
      () => {},
      (metadata) => seen.push(metadata),
      shape,
    );
    stream.write(JSON.stringify({ metadata: { continue: "t", nested: { a: [1] } }, items: [item] }));
    stream.end();
    expect(seen).toEqual([{ continue: "t", nested: { a: [1] } }]);
  });
});

describe("JsonListStream: members apart", () => {
  const shape: Shape = {
    keep: {
      first: { apart: 2 },
      kept: true,
      inner: { keep: { id: { apart: 0 }, same: true }, others: "drop" },
      last: { apart: 1 },
    },
    others: "drop",
  };
  const items = [
    {
      first: 'a "first" value, \\ } ] ✓',
      dropped: ["x"],
      kept: { a: [1, "}"] },
      inner: { same: "s", id: "one" },
      last: [{ name: "v", emptyDir: {} }, { name: 'w"' }],
    },
    { inner: { id: { nested: ["{", 2] } }, kept: 1 },
    { kept: null, inner: { id: null, same: "s" }, first: 7 },
  ];
  const expected = [
    { text: { kept: items[0]!.kept, inner: { same: "s" } }, apart: ["one", items[0]!.last, items[0]!.first] },
    { text: { inner: {}, kept: 1 }, apart: [{ nested: ["{", 2] }, undefined, undefined] },
    { text: { kept: null, inner: { same: "s" } }, apart: [null, undefined, 7] },
  ];

  it("are left out of the item's text and handed over as their value's JSON, per item, whatever the chunking", () => {
    for (const text of [JSON.stringify({ items }), JSON.stringify({ items }, null, 4)]) {
      const bytes = Buffer.from(text);
      for (const size of [1, 2, 3, 5, 11, 64, bytes.length]) {
        for (const use of chunkUses) {
          const seen: unknown[] = [];
          const stream = new JsonListStream(
            (t, apart) =>
              seen.push({
                text: JSON.parse(t),
                apart: apart.map((json) => (json === undefined ? undefined : JSON.parse(json))),
              }),
            undefined,
            shape,
          );
          writeInChunks(stream, bytes, size, use);
          stream.end();
          expect(seen).toEqual(expected);
        }
      }
    }
  });

  it("a value's JSON is handed over as it came, without the blanks around it", () => {
    const apart: (string | undefined)[] = [];
    const stream = new JsonListStream((_, values) => apart.push(...values), undefined, shape);
    stream.write('{"items": [ {"last" :  "a\\"b\\u00e9"  , "first":\n[ 1 ]\n} ]}');
    stream.end();
    expect(apart).toEqual([undefined, '"a\\"b\\u00e9"', "[ 1 ]"]);
  });
});

describe("leadingObjectName: an item known by the start of its text", () => {
  it("as the API server writes one (its name, then its namespace), with or without spaces", () => {
    expect(leadingObjectName('{"metadata":{"name":"web","namespace":"shop","uid":"u"},"spec":{}}')).toBe(
      "shop/web",
    );
    expect(leadingObjectName('{\n  "metadata": {\n    "name": "web",\n    "namespace": "shop"\n  }\n}')).toBe(
      "shop/web",
    );
  });

  it("any other start is not known: the item is parsed to know it", () => {
    for (const text of [
      '{"metadata":{"name":"web","generateName":"web-","namespace":"shop"}}',
      '{"metadata":{"namespace":"shop","name":"web"}}',
      '{"kind":"Deployment","metadata":{"name":"web","namespace":"shop"}}',
      '{"metadata":{"name":"w\\u0065b","namespace":"shop"}}',
      '{"metadata":{"name":"web"}}',
    ]) {
      expect(leadingObjectName(text)).toBeNull();
      expect(JSON.parse(text).metadata.name).toBe("web");
    }
  });
});
