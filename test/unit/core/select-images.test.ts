import { describe, expect, it, vi } from "vitest";

vi.mock("../../../src/core/image-ref.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../../src/core/image-ref.js")>();
  return { ...original, parseImageRef: vi.fn(original.parseImageRef) };
});

import { parseImageRef } from "../../../src/core/image-ref.js";
import { imageSelection, onlyImages } from "../../../src/core/select-images.js";
import { digestOf, makePod } from "../../support/pods.js";

describe("--image", () => {
  const D = digestOf("x");
  const pods = [
    makePod({
      name: "web",
      containers: [
        { name: "app", image: "nginx", runningDigest: D },
        { name: "sidecar", image: "envoy:1", runningDigest: D },
      ],
    }),
    makePod({ name: "api", containers: [{ name: "app", image: "ghcr.io/org/api:main", runningDigest: D }] }),
    makePod({
      name: "job",
      containers: [
        { name: "run", image: "busybox", runningDigest: D },
        { name: "init", image: "nginx:latest", init: true, runningDigest: D },
      ],
    }),
  ];

  it("keeps only containers running the references (normalized) and pods left with some", () => {
    const selected = onlyImages(pods, imageSelection(new Set(["docker.io/library/nginx:latest"])));
    expect(
      selected.map((p) => [
        p.metadata.name,
        [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c) => c.name),
      ]),
    ).toEqual([
      ["web", ["app"]],
      ["job", ["init"]],
    ]);
  });

  it("leaves the listed pods as they were", () => {
    onlyImages(pods, imageSelection(new Set(["ghcr.io/org/api:main"])));
    expect(pods[0]!.spec.containers).toHaveLength(2);
  });

  it("parses each image once, however many pods run it", () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      makePod({
        name: `web-${i}`,
        containers: [
          { name: "app", image: "nginx", runningDigest: D },
          { name: "sidecar", image: "envoy:1", runningDigest: D },
        ],
      }),
    );
    vi.mocked(parseImageRef).mockClear();
    expect(onlyImages(many, imageSelection(new Set(["docker.io/library/nginx:latest"])))).toHaveLength(1000);
    expect(vi.mocked(parseImageRef)).toHaveBeenCalledTimes(2);
  });

  it("pods that share their lists (a controller's, as read) share their selections", () => {
    const first = makePod({
      name: "web-1",
      containers: [
        { name: "init", image: "nginx", runningDigest: D, init: true },
        { name: "setup", image: "busybox", runningDigest: D, init: true },
        { name: "app", image: "nginx", runningDigest: D },
        { name: "sidecar", image: "envoy:1", runningDigest: D },
      ],
    });
    const sibling = { ...first, metadata: { ...first.metadata, name: "web-2" } };
    const [a, b] = onlyImages([first, sibling], imageSelection(new Set(["docker.io/library/nginx:latest"])));
    expect(b!.spec.containers).toBe(a!.spec.containers);
    expect(b!.spec.initContainers).toBe(a!.spec.initContainers);
    expect(a!.spec.containers.map((c) => c.name)).toEqual(["app"]);
    // What it left out stays known (a restart would undo a change to it too), shared as well.
    expect(a!.notSelected?.map((c) => c.name)).toEqual(["setup", "sidecar"]);
    expect(b!.notSelected).toBe(a!.notSelected);
  });
});
