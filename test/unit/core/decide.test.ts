import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { imagesInUse } from "../../../src/core/images-in-use.js";
import type { Pod } from "../../../src/core/k8s.js";
import { indexOwners } from "../../../src/core/owners.js";
import { hasStalePods, summarize, unnamedImagesByWorkload } from "../../../src/core/plan.js";
import type { ManifestInfo, Resolution } from "../../../src/core/resolution.js";
import { restartedForValue } from "../../../src/core/restarted-for.js";
import { manifestsToInspect, newImagesToDescribe, nodesToInspect } from "../../../src/core/to-inspect.js";
import {
  digestOf,
  makeJob,
  makePod,
  makeReplicaSet,
  type PodSpec,
  type Runtime,
} from "../../support/pods.js";
import { configOf, singleManifest } from "../../support/resolutions.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");
const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };
const owners = indexOwners([
  makeReplicaSet("web-7d9c8b", "web"),
  makeReplicaSet("web-7d9c8b", "web", "shop"),
  makeJob("backup-29210", "backup"),
]);

const single = singleManifest;

/** The tag names a single manifest; the old and new manifests are readable (different images). */
function resolved(digest: string, extra: Partial<Resolution> = {}): Resolution {
  return {
    tag: { ok: true, tag: { digest, sameImageDigests: [], isIndex: false } },
    manifests: new Map([single(OLD), single(NEW), single(digest)]),
    ...extra,
  };
}

function plan(pods: Pod[], resolutions: Record<string, Resolution>) {
  return decidePlan({
    resolver: "registry",
    pods,
    owners,
    resolutions: new Map(Object.entries(resolutions)),
  });
}

function webPod(overrides: Partial<PodSpec> = {}, runtime: Runtime = "containerd"): Pod {
  return makePod({
    name: "web-7d9c8b-x2x9q",
    runtime,
    owner: rs,
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
    ...overrides,
  });
}

const nginx = "docker.io/library/nginx:latest";

/** One nginx pod's plan once its node was read: the node's platform known. */
function onPlatform(pod: Pod, resolution: Resolution, platform: string) {
  return decidePlan({
    resolver: "registry",
    pods: [pod],
    owners,
    resolutions: new Map([[nginx, resolution]]),
    nodePlatforms: new Map([[pod.spec.nodeName!, platform]]),
  }).pods[0]!;
}

describe("container verdicts", () => {
  it.each(["containerd", "cri-dockerd", "cri-o"] as const)(
    "%s: a moved tag is stale, and the pod deleted",
    (runtime) => {
      const p = plan([webPod({}, runtime)], { [nginx]: resolved(NEW) });
      expect(p.pods[0]).toMatchObject({
        namespace: "default",
        name: "web-7d9c8b-x2x9q",
        owner: { kind: "Deployment", name: "web" },
        action: "delete",
        reason: "",
        containers: [
          {
            name: "app",
            init: false,
            image: "nginx:latest",
            ref: nginx,
            runningDigest: OLD,
            latestDigest: NEW,
            status: "stale",
            reason: "",
          },
        ],
      });
    },
  );

  it.each(["containerd", "cri-dockerd", "cri-o"] as const)("%s: an unmoved tag is current", (runtime) => {
    const p = plan([webPod({}, runtime)], { [nginx]: resolved(OLD) });
    expect(p.pods[0]).toMatchObject({
      action: "none",
      containers: [{ status: "current", latestDigest: OLD }],
    });
  });

  it("accepts any digest docker lists for the same image (RepoDigests), not only the first", () => {
    const tag = {
      ok: true as const,
      tag: { digest: NEW, sameImageDigests: [digestOf("x"), OLD], isIndex: null },
    };
    // Read first: docker's record holds for an image manifest, and for an index only on docker's platform.
    expect(
      manifestsToInspect(imagesInUse([webPod()]), new Map([[nginx, { tag, manifests: new Map() }]])),
    ).toEqual([
      expect.objectContaining({
        need: { repository: "docker.io/library/nginx", digest: OLD, platform: false },
      }),
    ]);
    const r: Resolution = { tag, manifests: new Map([[OLD, { ok: true, isIndex: false, config: null }]]) };
    expect(plan([webPod()], { [nginx]: r }).pods[0]!.containers[0]!.status).toBe("current");
  });

  it("a digest-pinned image is pinned and never resolved", () => {
    const pinned = `nginx@${OLD}`;
    const pod = webPod({ containers: [{ name: "app", image: pinned, runningDigest: OLD }] });
    expect(imagesInUse([pod])).toEqual([]);
    expect(plan([pod], {}).pods[0]).toMatchObject({
      action: "none",
      containers: [
        { status: "pinned", ref: `docker.io/library/nginx@${OLD}`, latestDigest: OLD, runningDigest: OLD },
      ],
    });
  });

  it("digests of another algorithm than sha256: never compared, null in the document", () => {
    const sha512 = `sha512:${"ab".repeat(64)}`;
    const pods = [
      webPod({
        name: "pinned",
        containers: [{ name: "app", image: `nginx@${sha512}`, runningDigest: sha512 }],
      }),
      webPod({
        name: "running",
        containers: [{ name: "app", image: "nginx:latest", runningDigest: sha512 }],
      }),
    ];
    const [pinned, running] = plan(pods, { [nginx]: resolved(NEW) }).pods;
    expect(pinned!.containers[0]).toMatchObject({
      status: "pinned",
      runningDigest: null,
      latestDigest: null,
    });
    expect(running).toMatchObject({ action: "none" });
    expect(running!.containers[0]).toMatchObject({
      status: "unknown",
      runningDigest: null,
      latestDigest: NEW,
      reason: expect.stringContaining("sha256 only"),
    });
  });

  it("a tag that points to a digest of another algorithm: unknown, not stale", () => {
    // A stale verdict needs both digests in the restart record, or a restart in vain would repeat forever.
    const sha512 = `sha512:${"cd".repeat(64)}`;
    const [pod] = plan([webPod()], { [nginx]: resolved(sha512) }).pods;
    expect(pod).toMatchObject({ action: "none" });
    expect(pod!.containers[0]).toMatchObject({
      status: "unknown",
      runningDigest: OLD,
      latestDigest: null,
      reason: `its tag points to a digest of an algorithm this tool does not compare (sha256 only): ${sha512}`,
    });
  });

  it.each([
    ["a bare sha256 image ID (kind load)", OLD, "bare image ID"],
    ["a bare 64-hex ID (CRI-O raw ID)", OLD.slice(7), "bare image ID"],
    ["a docker:// image ID (cri-dockerd, no repo digest)", `docker://${OLD}`, "bare image ID"],
    [
      "another repository (kind's import-*)",
      `docker.io/library/import-2025-10-07@${OLD}`,
      "not from docker.io/library/nginx",
    ],
    ["an empty imageID", "", "no imageID"],
  ])("%s is unknown", (_, imageID, reason) => {
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", imageID }] });
    const c = plan([pod], { [nginx]: resolved(NEW) }).pods[0]!;
    expect(c.action).toBe("none");
    expect(c.containers[0]!.status).toBe("unknown");
    expect(c.containers[0]!.reason).toContain(reason);
    // Marked for the check after a rollout: a new pod on such an image may stand for this one.
    const seen = unnamedImagesByWorkload(plan([pod], { [nginx]: resolved(NEW) }));
    expect([...seen.values()].map((names) => [...names])).toEqual(
      reason === "bare image ID" ? [["app"]] : [],
    );
  });

  it("keeps the digest of an imageID from another repository, but never calls it stale", () => {
    const pod = webPod({
      containers: [{ name: "app", image: "nginx:latest", imageID: `docker.io/library/other@${OLD}` }],
    });
    expect(plan([pod], { [nginx]: resolved(NEW) }).pods[0]!.containers[0]).toMatchObject({
      runningDigest: OLD,
      status: "unknown",
    });
  });

  it("an invalid image reference is unknown with the reason", () => {
    const pod = webPod({ containers: [{ name: "app", image: "Nginx:latest", runningDigest: OLD }] });
    expect(plan([pod], {}).pods[0]!.containers[0]).toMatchObject({
      ref: null,
      status: "unknown",
      reason: 'invalid image reference: repository name "library/Nginx" must be lowercase',
    });
  });

  it("a failed resolution is unknown with the resolver's reason", () => {
    const p = plan([webPod()], {
      [nginx]: { tag: { ok: false, reason: "pull failed: manifest unknown" }, manifests: new Map() },
    });
    expect(p.pods[0]).toMatchObject({
      action: "none",
      containers: [{ status: "unknown", reason: "pull failed: manifest unknown", latestDigest: null }],
    });
  });

  it("a pending container (not started) is unknown", () => {
    const pod = webPod({ phase: "Pending", containers: [{ name: "app", image: "nginx:latest" }] });
    expect(plan([pod], { [nginx]: resolved(NEW) }).pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: "no container status",
    });
  });
});

describe("multi-arch tags", () => {
  const INDEX = digestOf("index v2");
  const AMD64 = digestOf("amd64 v2");
  const ARM64 = digestOf("arm64 v2");
  const indexInfo = (amd64: string, arm64: string): ManifestInfo => ({
    ok: true,
    isIndex: true,
    children: [
      { digest: amd64, platform: "linux/amd64" },
      { digest: arm64, platform: "linux/arm64/v8" },
    ],
  });
  // Every platform manifest named here is readable, each with a config of its own (its platform not read).
  const children = [AMD64, ARM64, digestOf("amd64 v1"), digestOf("arm64 v1")].map((d) =>
    single(d, { platform: undefined }),
  );
  const indexTag = (manifests: [string, ManifestInfo][]): Resolution => ({
    tag: { ok: true, tag: { digest: INDEX, sameImageDigests: [], isIndex: true } },
    manifests: new Map([...children, ...manifests]),
  });

  it("asks for the tag's index only when a running digest is unexplained", () => {
    const current = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: INDEX }] });
    const images = imagesInUse([current]);
    expect(manifestsToInspect(images, new Map([[nginx, indexTag([])]]))).toEqual([]);
    const cri = webPod({
      runtime: "cri-o",
      containers: [{ name: "app", image: "nginx:latest", runningDigest: ARM64 }],
    });
    expect(
      manifestsToInspect(imagesInUse([cri]), new Map([[nginx, indexTag([])]])).map((w) => w.need.digest),
    ).toEqual([INDEX]);
  });

  it("CRI-O's platform digest inside the tag's index is current", () => {
    const pod = webPod({
      runtime: "cri-o",
      containers: [{ name: "app", image: "nginx:latest", runningDigest: ARM64 }],
    });
    const r = indexTag([[INDEX, indexInfo(AMD64, ARM64)]]);
    expect(manifestsToInspect(imagesInUse([pod]), new Map([[nginx, r]]))).toEqual([]);
    expect(plan([pod], { [nginx]: r }).pods[0]!.containers[0]!.status).toBe("current");
  });

  it("a platform digest the moved index no longer has is stale", () => {
    const oldArm = digestOf("arm64 v1");
    const pod = webPod({
      runtime: "cri-o",
      containers: [{ name: "app", image: "nginx:latest", runningDigest: oldArm }],
    });
    const r = indexTag([[INDEX, indexInfo(AMD64, ARM64)]]);
    expect(manifestsToInspect(imagesInUse([pod]), new Map([[nginx, r]])).map((w) => w.need)).toEqual([
      { repository: "docker.io/library/nginx", digest: oldArm, platform: true },
    ]);
    r.manifests = new Map([...r.manifests, single(oldArm, { platform: "linux/arm64/v8" })]);
    expect(plan([pod], { [nginx]: r }).pods[0]!.containers[0]!.status).toBe("stale");
  });

  it("a single image against the tag's single image: stale on the same platform, unknown on another", () => {
    const [ARM_OLD, AMD_NEW] = [digestOf("arm64 only v1"), digestOf("amd64 only v2")];
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: ARM_OLD }] });
    const tag = (running: string | null | undefined, now: string | null | undefined): Resolution => ({
      tag: { ok: true, tag: { digest: AMD_NEW, sameImageDigests: [], isIndex: false } },
      manifests: new Map([single(ARM_OLD, { platform: running }), single(AMD_NEW, { platform: now })]),
    });
    const needs = (r: Resolution) =>
      manifestsToInspect(imagesInUse([pod]), new Map([[nginx, r]])).map((w) => w.need);
    // Both read with their platforms from the start; one read without is read again with it.
    expect(needs({ ...tag(undefined, undefined), manifests: new Map() })).toEqual([
      { repository: "docker.io/library/nginx", digest: AMD_NEW, platform: true },
      { repository: "docker.io/library/nginx", digest: ARM_OLD, platform: true },
    ]);
    expect(needs(tag(undefined, "linux/amd64"))).toEqual([
      { repository: "docker.io/library/nginx", digest: ARM_OLD, platform: true },
    ]);
    // The tag was pushed again for amd64 only: an arm64 node has nothing to run from it.
    expect(plan([pod], { [nginx]: tag("linux/arm64/v8", "linux/amd64") }).pods[0]).toMatchObject({
      action: "none",
      containers: [{ status: "unknown", reason: "the tag no longer has an image for linux/arm64/v8" }],
    });
    expect(plan([pod], { [nginx]: tag("linux/amd64", "linux/amd64") }).pods[0]!.action).toBe("delete");
    // A config that states no platform leaves it to the digests.
    expect(plan([pod], { [nginx]: tag(null, "linux/amd64") }).pods[0]!.action).toBe("delete");
  });

  it("the only child without a platform of each index: compared by config, as a platform's children are", () => {
    const [OLD_INDEX, NEW_INDEX] = [digestOf("index v1, no platforms"), digestOf("index v2, no platforms")];
    const [C1, C2] = [digestOf("child v1"), digestOf("child v2, recompressed")];
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD_INDEX }] });
    const index = (child: string): ManifestInfo => ({
      ok: true,
      isIndex: true,
      children: [{ digest: child, platform: null }],
    });
    const r = (c2Config: string): Resolution => ({
      tag: { ok: true, tag: { digest: NEW_INDEX, sameImageDigests: [], isIndex: true } },
      manifests: new Map([
        [NEW_INDEX, index(C2)],
        [OLD_INDEX, index(C1)],
        single(C1),
        single(C2, { config: c2Config }),
      ]),
    });
    expect(plan([pod], { [nginx]: r(configOf(C1)) }).pods[0]!.containers[0]!.status).toBe("current");
    expect(plan([pod], { [nginx]: r(configOf(C2)) }).pods[0]!.containers[0]!.status).toBe("stale");
  });

  it("a platform manifest whose platform the moved index no longer has is unknown, not stale", () => {
    const oldS390x = digestOf("s390x v1");
    const pod = webPod({
      runtime: "cri-o",
      containers: [{ name: "app", image: "nginx:latest", runningDigest: oldS390x }],
    });
    const r = indexTag([[INDEX, indexInfo(AMD64, ARM64)], single(oldS390x, { platform: "linux/s390x" })]);
    expect(plan([pod], { [nginx]: r }).pods[0]).toMatchObject({
      action: "none",
      containers: [{ status: "unknown", reason: "the tag no longer has an image for linux/s390x" }],
    });
  });

  it("containerd's older index digest with every platform unchanged is current (no endless restarts)", () => {
    const OLD_INDEX = digestOf("index v1 (re-pushed)");
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD_INDEX }] });
    const r = indexTag([
      [INDEX, indexInfo(AMD64, ARM64)],
      [OLD_INDEX, indexInfo(AMD64, ARM64)],
    ]);
    expect(plan([pod], { [nginx]: r }).pods[0]!.containers[0]!.status).toBe("current");
  });

  it("an older index whose platforms all changed is stale; a partly changed one is unknown", () => {
    const OLD_INDEX = digestOf("index v1");
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD_INDEX }] });
    const allChanged = indexTag([
      [INDEX, indexInfo(AMD64, ARM64)],
      [OLD_INDEX, indexInfo(digestOf("amd64 v1"), digestOf("arm64 v1"))],
    ]);
    expect(plan([pod], { [nginx]: allChanged }).pods[0]!.action).toBe("delete");
    const partly = indexTag([
      [INDEX, indexInfo(AMD64, ARM64)],
      [OLD_INDEX, indexInfo(AMD64, digestOf("arm64 v1"))],
    ]);
    expect(plan([pod], { [nginx]: partly }).pods[0]).toMatchObject({
      action: "none",
      containers: [{ status: "unknown", reason: expect.stringContaining("some platforms only") }],
    });
  });

  describe("a tag that moved for some platforms only: the node's platform decides", () => {
    const OLD_INDEX = digestOf("index v1");
    // amd64 unchanged, arm64 rebuilt.
    const partly = indexTag([
      [INDEX, indexInfo(AMD64, ARM64)],
      [OLD_INDEX, indexInfo(AMD64, digestOf("arm64 v1"))],
    ]);
    const on = (node: string) =>
      webPod({
        name: `web-${node}`,
        node,
        containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD_INDEX }],
      });
    const pods = [on("amd-1"), on("arm-1"), on("odd-1"), on("unread-1")];
    const input = (nodePlatforms?: Map<string, string | null>) => ({
      resolver: "registry" as const,
      pods,
      owners,
      resolutions: new Map([[nginx, partly]]),
      ...(nodePlatforms ? { nodePlatforms } : {}),
    });

    it("names the nodes to read, and only when such a tag is run (none for a uniform move)", () => {
      expect(nodesToInspect(input())).toEqual(["amd-1", "arm-1", "odd-1", "unread-1"]);
      const allMoved = indexTag([
        [INDEX, indexInfo(AMD64, ARM64)],
        [OLD_INDEX, indexInfo(digestOf("amd64 v1"), digestOf("arm64 v1"))],
      ]);
      expect(nodesToInspect({ ...input(), resolutions: new Map([[nginx, allMoved]]) })).toEqual([]);
    });

    it("unchanged for the node's platform: current; rebuilt: stale; not exactly named or unread: unknown", () => {
      const decided = decidePlan(
        input(
          new Map([
            ["amd-1", "linux/amd64"],
            ["arm-1", "linux/arm64/v8"],
            ["odd-1", "linux/arm/v7"],
            ["unread-1", null],
          ]),
        ),
      ).pods;
      expect(decided.map((p) => [p.name, p.action, p.containers[0]!.status])).toEqual([
        ["web-amd-1", "none", "current"],
        ["web-arm-1", "delete", "stale"],
        ["web-odd-1", "none", "unknown"],
        ["web-unread-1", "none", "unknown"],
      ]);
      expect(decided[2]!.containers[0]!.reason).toContain(
        "no image for exactly the node's platform (linux/arm/v7)",
      );
      expect(decided[3]!.containers[0]!.reason).toContain("the node's platform is not known");
    });

    it("pods sharing their lists (as a controller's pods read from the API do): each node's own verdict", () => {
      const [first, ...rest] = pods;
      const sharing = rest.map((pod) => ({
        ...pod,
        spec: { ...pod.spec, containers: first!.spec.containers },
        status: { ...pod.status, containerStatuses: first!.status!.containerStatuses },
      }));
      expect(nodesToInspect({ ...input(), pods: [first!, ...sharing] })).toEqual([
        "amd-1",
        "arm-1",
        "odd-1",
        "unread-1",
      ]);
      const decided = decidePlan({
        ...input(
          new Map([
            ["amd-1", "linux/amd64"],
            ["arm-1", "linux/arm64/v8"],
          ]),
        ),
        pods: [first!, ...sharing],
      }).pods;
      expect(decided.map((p) => p.containers[0]!.status)).toEqual(["current", "stale", "unknown", "unknown"]);
    });

    it("without node platforms (not read): all unknown, none stale", () => {
      expect(decidePlan(input()).pods.map((p) => p.containers[0]!.status)).toEqual([
        "unknown",
        "unknown",
        "unknown",
        "unknown",
      ]);
    });

    it("the node's platform gone from the tag: unknown, even when other platforms were removed too", () => {
      const armGone = indexTag([
        [INDEX, { ok: true, isIndex: true, children: [{ digest: AMD64, platform: "linux/amd64" }] }],
        [OLD_INDEX, indexInfo(AMD64, digestOf("arm64 v1"))],
      ]);
      const decided = decidePlan({
        ...input(
          new Map([
            ["amd-1", "linux/amd64"],
            ["arm-1", "linux/arm64/v8"],
          ]),
        ),
        pods: pods.slice(0, 2),
        resolutions: new Map([[nginx, armGone]]),
      }).pods;
      expect(decided.map((p) => p.containers[0]!.status)).toEqual(["current", "unknown"]);
      expect(decided[1]!.containers[0]!.reason).toBe("the tag no longer has an image for linux/arm64/v8");
    });
  });

  it("an index whose only child names no platform, against the tag's single manifest: that child stands for the node's", () => {
    const M = digestOf("the tag's manifest");
    const I = digestOf("an index holding M without a platform");
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: I }] });
    const r: Resolution = {
      tag: { ok: true, tag: { digest: M, sameImageDigests: [], isIndex: false } },
      manifests: new Map<string, ManifestInfo>([
        single(M, { platform: "linux/amd64" }),
        [I, { ok: true, isIndex: true, children: [{ digest: M, platform: null }] }],
      ]),
    };
    const onAmd64 = onPlatform(pod, r, "linux/amd64");
    // It runs the tag's very manifest: never stale (it would come back on the same index at every run).
    expect(onAmd64).toMatchObject({ action: "none", containers: [{ status: "current" }] });
  });

  it("--min-age sees the platform that moved: the image described is the one the stale pods would get", () => {
    const AMD = digestOf("amd64, unchanged");
    const [ARM1, ARM2] = [digestOf("arm64 v1"), digestOf("arm64 v2")];
    const OLD_INDEX = digestOf("index with arm64 v1");
    const NEW_INDEX = digestOf("index with arm64 v2");
    const r: Resolution = {
      tag: { ok: true, tag: { digest: NEW_INDEX, sameImageDigests: [], isIndex: true } },
      manifests: new Map([
        [NEW_INDEX, indexInfo(AMD, ARM2)],
        [OLD_INDEX, indexInfo(AMD, ARM1)],
        single(ARM1),
        single(ARM2),
      ]),
    };
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD_INDEX }] });
    const [image] = imagesInUse([pod]);
    // Not linux/amd64's unchanged image, whose build time could be months old.
    expect(newImagesToDescribe(image!, r)).toEqual([ARM2]);
  });

  it("--min-age sees the tag's image without a platform where it now serves a platform the pods ran", () => {
    const AMD = digestOf("amd64, unchanged");
    const ARM = digestOf("arm64 v1");
    const LONE = digestOf("any other platform, v2");
    const OLD_INDEX = digestOf("index of amd64 and arm64");
    const NEW_INDEX = digestOf("index of amd64 and one without a platform");
    const index = (...children: [string, string | null][]): ManifestInfo => ({
      ok: true,
      isIndex: true,
      children: children.map(([digest, platform]) => ({ digest, platform })),
    });
    const r: Resolution = {
      tag: { ok: true, tag: { digest: NEW_INDEX, sameImageDigests: [], isIndex: true } },
      manifests: new Map([
        [NEW_INDEX, index([AMD, "linux/amd64"], [LONE, null])],
        [OLD_INDEX, index([AMD, "linux/amd64"], [ARM, "linux/arm64/v8"])],
        single(ARM, { platform: "linux/arm64/v8" }),
        single(LONE, { platform: "linux/arm64/v8" }),
      ]),
    };
    // An index (containerd), or the arm64 image of it (CRI-O): an arm64 node's new pod gets LONE.
    for (const runningDigest of [OLD_INDEX, ARM]) {
      const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest }] });
      const [image] = imagesInUse([pod]);
      expect(newImagesToDescribe(image!, r)).toContain(LONE);
    }
  });

  it("a platform the tag no longer has is never stale: the replacement might find nothing to run", () => {
    const OLD_INDEX = digestOf("index v1");
    const pod = webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD_INDEX }] });
    const armOnly: ManifestInfo = {
      ok: true,
      isIndex: true,
      children: [{ digest: ARM64, platform: "linux/arm64/v8" }],
    };
    const r = indexTag([
      [INDEX, armOnly],
      [OLD_INDEX, indexInfo(digestOf("amd64 v1"), digestOf("arm64 v1"))],
    ]);
    // Which platform the node runs decides: a node of another platform still has its image.
    expect(plan([pod], { [nginx]: r }).pods[0]).toMatchObject({
      action: "none",
      containers: [
        {
          status: "unknown",
          reason: "the tag no longer has an image for linux/amd64, and the node's platform is not known",
        },
      ],
    });
    expect(
      nodesToInspect({ resolver: "registry", pods: [pod], owners, resolutions: new Map([[nginx, r]]) }),
    ).toEqual([pod.spec.nodeName]);
    const onAmd64 = onPlatform(pod, r, "linux/amd64");
    expect(onAmd64).toMatchObject({
      action: "none",
      containers: [
        { status: "unknown", reason: "the tag no longer has an image for linux/amd64", noImageToRun: true },
      ],
    });
  });

  it("an index the HEAD's Content-Type called a single manifest (a proxy cache's label): the index read decides", () => {
    const OLD_INDEX = digestOf("index v1 (re-pushed)");
    const mislabelled = (manifests: [string, ManifestInfo][]): Resolution => ({
      tag: { ok: true, tag: { digest: INDEX, sameImageDigests: [], isIndex: false } },
      manifests: new Map([...children, ...manifests]),
    });
    const cri = webPod({
      runtime: "cri-o",
      containers: [{ name: "app", image: "nginx:latest", runningDigest: ARM64 }],
    });
    expect(manifestsToInspect(imagesInUse([cri]), new Map([[nginx, mislabelled([])]]))).toMatchObject([
      { need: { digest: INDEX } },
    ]);
    const read = mislabelled([[INDEX, indexInfo(AMD64, ARM64)]]);
    expect(plan([cri], { [nginx]: read }).pods[0]!.containers[0]!.status).toBe("current");
    const containerd = webPod({
      containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD_INDEX }],
    });
    const both = mislabelled([
      [INDEX, indexInfo(AMD64, ARM64)],
      [OLD_INDEX, indexInfo(AMD64, ARM64)],
    ]);
    expect(plan([containerd], { [nginx]: both }).pods[0]!.containers[0]!.status).toBe("current");
  });

  it("an index listing that failed leaves the container unknown (not proven stale)", () => {
    const pod = webPod({
      runtime: "cri-o",
      containers: [{ name: "app", image: "nginx:latest", runningDigest: ARM64 }],
    });
    const r = indexTag([[INDEX, { ok: false, reason: "manifest unknown" }]]);
    expect(plan([pod], { [nginx]: r }).pods[0]).toMatchObject({
      action: "none",
      containers: [{ status: "unknown", reason: "could not read the tag's index: manifest unknown" }],
    });
  });
});

describe("the same image under another digest: current, never restarted forever", () => {
  // containerd keys images by config and reports the smallest of an image's repository digests, whatever
  // reference the pod asked for (seen on a real node).
  const M = digestOf("app:main's manifest");
  const CONFIG = configOf(M);
  const tagAt = (digest: string, isIndex: boolean, manifests: [string, ManifestInfo][]): Resolution => ({
    tag: { ok: true, tag: { digest, sameImageDigests: [], isIndex } },
    manifests: new Map(manifests),
  });
  const running = (digest: string, image = "nginx:latest", repository = "docker.io/library/nginx") =>
    webPod({ containers: [{ name: "app", image, imageID: `${repository}@${digest}` }] });
  const verdict = (pod: Pod, r: Resolution, nodePlatforms?: Map<string, string | null>) =>
    decidePlan({
      resolver: "registry",
      pods: [pod],
      owners,
      resolutions: new Map([
        [pod.spec.containers[0]!.image === "nginx:latest" ? nginx : "docker.io/library/b:main", r],
      ]),
      ...(nodePlatforms ? { nodePlatforms } : {}),
    }).pods[0]!.containers[0]!;
  const needed = (pod: Pod, key: string, r: Resolution) =>
    manifestsToInspect(imagesInUse([pod]), new Map([[key, r]])).map((w) => w.need);

  it("a tag rebuilt as an index whose child has the running manifest's config (app:rebuilt)", () => {
    const INDEX = digestOf("app:rebuilt index");
    const CHILD = digestOf("amd64 child, one annotation differs");
    const pod = running(M);
    const index: ManifestInfo = {
      ok: true,
      isIndex: true,
      children: [{ digest: CHILD, platform: "linux/amd64" }],
    };
    // Read step by step: the tag's index, the running manifest with its platform, the index's child.
    expect(needed(pod, nginx, tagAt(INDEX, true, []))).toEqual([
      { repository: "docker.io/library/nginx", digest: INDEX, platform: false },
    ]);
    expect(needed(pod, nginx, tagAt(INDEX, true, [[INDEX, index]]))).toEqual([
      { repository: "docker.io/library/nginx", digest: M, platform: true },
    ]);
    const withRunning = tagAt(INDEX, true, [[INDEX, index], single(M, { platform: "linux/amd64" })]);
    expect(needed(pod, nginx, withRunning)).toEqual([
      { repository: "docker.io/library/nginx", digest: CHILD, platform: false },
    ]);
    const all = tagAt(INDEX, true, [
      [INDEX, index],
      single(M, { platform: "linux/amd64" }),
      single(CHILD, { config: CONFIG }),
    ]);
    expect(verdict(pod, all)).toMatchObject({
      status: "current",
      reason: `the same image (config ${CONFIG}) under another digest`,
    });
    const rebuilt = tagAt(INDEX, true, [
      [INDEX, index],
      single(M, { platform: "linux/amd64" }),
      single(CHILD),
    ]);
    expect(verdict(pod, rebuilt).status).toBe("stale");
  });

  it("a node reporting another tag's index that holds the tag's manifest (flip:main)", () => {
    const I = digestOf("flip:multi index");
    const pod = running(I);
    const one: ManifestInfo = { ok: true, isIndex: true, children: [{ digest: M, platform: "linux/amd64" }] };
    const tag = (manifests: [string, ManifestInfo][]) => tagAt(M, false, manifests);
    // Both with their platforms: were they two images, they would be compared by platform too.
    expect(needed(pod, nginx, tag([]))).toEqual([
      { repository: "docker.io/library/nginx", digest: M, platform: true },
      { repository: "docker.io/library/nginx", digest: I, platform: true },
    ]);
    expect(needed(pod, nginx, tag([single(M, { platform: undefined }), [I, one]]))).toEqual([
      { repository: "docker.io/library/nginx", digest: M, platform: true },
    ]);
    expect(verdict(pod, tag([single(M, { platform: "linux/amd64" }), [I, one]])).status).toBe("current");
  });

  it("an index of two platforms against the tag's single manifest: the node's platform decides", () => {
    const I = digestOf("two-platform index");
    const ARM = digestOf("arm64 child");
    const two: ManifestInfo = {
      ok: true,
      isIndex: true,
      children: [
        { digest: M, platform: "linux/amd64" },
        { digest: ARM, platform: "linux/arm64/v8" },
      ],
    };
    const pod = webPod({
      node: "n1",
      containers: [{ name: "app", image: "nginx:latest", imageID: `docker.io/library/nginx@${I}` }],
    });
    const r = tagAt(M, false, [single(M, { platform: "linux/amd64" }), [I, two], single(ARM)]);
    expect(
      nodesToInspect({ resolver: "registry", pods: [pod], owners, resolutions: new Map([[nginx, r]]) }),
    ).toEqual(["n1"]);
    expect(verdict(pod, r, new Map([["n1", "linux/amd64"]])).status).toBe("current");
    expect(verdict(pod, r, new Map([["n1", "linux/arm64/v8"]]))).toMatchObject({
      status: "unknown",
      reason: "the tag no longer has an image for linux/arm64/v8",
    });
    expect(verdict(pod, r, new Map([["n1", null]])).reason).toContain("the node's platform is not known");
  });

  it("a multi-arch tag re-published as its amd64 image alone, under another digest (slim:live)", () => {
    // The node reports the two-platform index it pulled for another tag; the tag's single manifest has the
    // config of that index's amd64 child. Seen on a real node: judged stale, it was restarted forever.
    const I = digestOf("slim:multi index");
    const A = digestOf("slim:multi amd64 child");
    const ARM = digestOf("slim:multi arm64 child");
    const T = digestOf("slim:live, A with one annotation more");
    const two: ManifestInfo = {
      ok: true,
      isIndex: true,
      children: [
        { digest: A, platform: "linux/amd64" },
        { digest: ARM, platform: "linux/arm64/v8" },
      ],
    };
    const pod = webPod({
      node: "n1",
      containers: [{ name: "app", image: "nginx:latest", imageID: `docker.io/library/nginx@${I}` }],
    });
    const tagT = single(T, { config: configOf(A), platform: "linux/amd64" });
    // Only the child for the tag's own platform can be the tag's image: it is read, then the node decides.
    expect(needed(pod, nginx, tagAt(T, false, [tagT, [I, two]]))).toEqual([
      { repository: "docker.io/library/nginx", digest: A, platform: false },
    ]);
    const r = tagAt(T, false, [tagT, [I, two], single(A)]);
    expect(
      nodesToInspect({ resolver: "registry", pods: [pod], owners, resolutions: new Map([[nginx, r]]) }),
    ).toEqual(["n1"]);
    expect(verdict(pod, r, new Map([["n1", "linux/amd64"]]))).toMatchObject({
      status: "current",
      reason: `the same image (config ${configOf(A)}) under another digest`,
    });
    expect(verdict(pod, r, new Map([["n1", "linux/arm64/v8"]]))).toMatchObject({
      status: "unknown",
      reason: "the tag no longer has an image for linux/arm64/v8",
    });
    // Another config for that platform: stale on an amd64 node; an arm64 node would find nothing to run.
    const moved = tagAt(T, false, [single(T, { platform: "linux/amd64" }), [I, two], single(A)]);
    expect(
      nodesToInspect({ resolver: "registry", pods: [pod], owners, resolutions: new Map([[nginx, moved]]) }),
    ).toEqual(["n1"]);
    expect(verdict(pod, moved, new Map([["n1", "linux/amd64"]])).status).toBe("stale");
    expect(verdict(pod, moved, new Map([["n1", "linux/arm64/v8"]]))).toMatchObject({
      status: "unknown",
      reason: "the tag no longer has an image for linux/arm64/v8",
    });
    expect(verdict(pod, moved, new Map([["n1", null]]))).toMatchObject({
      status: "unknown",
      reason: "the tag now names an image for linux/amd64 only, and the node's platform is not known",
    });
  });

  it("two single manifests: the same config is current, another config stale, one the registry lost stale", () => {
    const NEWER = digestOf("same image, re-pushed manifest");
    const pod = running(M);
    expect(verdict(pod, tagAt(NEWER, false, [single(M), single(NEWER, { config: CONFIG })])).status).toBe(
      "current",
    );
    expect(verdict(pod, tagAt(NEWER, false, [single(M), single(NEWER)])).status).toBe("stale");
    // Digests alone decide when the old manifest is gone from the registry (as before these reads), on a
    // node of the tag's image's platform, or where that image states none.
    const gone: ManifestInfo = { ok: false, reason: "manifest unknown", missing: true };
    const lost = tagAt(NEWER, false, [[M, gone], single(NEWER)]);
    expect(verdict(pod, lost, new Map([["node-1", "linux/amd64"]]))).toMatchObject({
      status: "stale",
      // Said, since a replacement of the same image comes back on it (seen on a real node).
      reason: "the running manifest could not be read (manifest unknown), so its digest alone decides",
    });
    expect(verdict(pod, tagAt(NEWER, false, [[M, gone], single(NEWER, { platform: null })])).status).toBe(
      "stale",
    );
    // On a node of another platform the tag has nothing to run now: a restart would not start.
    expect(
      nodesToInspect({ resolver: "registry", pods: [pod], owners, resolutions: new Map([[nginx, lost]]) }),
    ).toEqual(["node-1"]);
    expect(verdict(pod, lost, new Map([["node-1", "linux/arm64/v8"]]))).toMatchObject({
      status: "unknown",
      reason: "the tag no longer has an image for linux/arm64/v8",
    });
    // Where the nodes cannot be read (the CronJob may not), the digest alone decides, as it did.
    expect(verdict(pod, lost, new Map([["node-1", null]]))).toMatchObject({
      status: "stale",
      reason: "the running manifest could not be read (manifest unknown), so its digest alone decides",
    });
  });

  it("older indexes whose differing children have the same configs are current", () => {
    const OLD_INDEX = digestOf("index v1");
    const NEW_INDEX = digestOf("index v2");
    const A1 = digestOf("amd64 v1");
    const A2 = digestOf("amd64 v2 (annotations)");
    const idx = (child: string): ManifestInfo => ({
      ok: true,
      isIndex: true,
      children: [{ digest: child, platform: "linux/amd64" }],
    });
    const pod = running(OLD_INDEX);
    const r = tagAt(NEW_INDEX, true, [
      [NEW_INDEX, idx(A2)],
      [OLD_INDEX, idx(A1)],
      single(A1),
      single(A2, { config: configOf(A1) }),
    ]);
    expect(verdict(pod, r).status).toBe("current");
  });

  it("a digest from another repository of the registry proves the same image, never a stale one", () => {
    const pod = running(M, "b:main", "docker.io/library/a");
    const B = digestOf("b:main's manifest");
    expect(verdict(pod, tagAt(B, false, [single(M), single(B, { config: CONFIG })])).status).toBe("current");
    expect(verdict(pod, tagAt(B, false, [single(M), single(B)]))).toMatchObject({
      status: "unknown",
      reason: "runs an image from docker.io/library/a, not from docker.io/library/b",
    });
    // The running manifest is read from the repository the node named.
    expect(needed(pod, "docker.io/library/b:main", tagAt(B, false, [single(B)]))).toEqual([
      { repository: "docker.io/library/a", digest: M, platform: true },
    ]);
  });

  it("a digest from another registry is never read, and the reason says where it is from", () => {
    // containerd names the smallest of an image's repository digests, from any registry it pulled it from.
    const pod = running(M, "nginx:latest", "registry.example.com/mirror/nginx");
    const from = "runs an image from registry.example.com/mirror/nginx, not from docker.io/library/nginx";
    expect(verdict(pod, tagAt(NEW, false, [single(NEW)]))).toMatchObject({ status: "unknown", reason: from });
    const unresolved = decidePlan({ resolver: "registry", pods: [pod], owners, resolutions: new Map() });
    expect(unresolved.pods[0]!.containers[0]).toMatchObject({ status: "unknown", reason: from });
    expect(verdict(pod, tagAt(M, false, [single(M)])).status).toBe("current");
  });
});

describe("pod actions", () => {
  const stale = { [nginx]: resolved(NEW) };
  const only = (spec: Partial<PodSpec>) => plan([webPod(spec)], stale).pods[0]!;

  it.each([
    ["a bare pod", { owner: null }, "no controller owns it"],
    [
      "a mirror pod",
      {
        owner: { kind: "Node", name: "node-1" },
        annotations: { "kubernetes.io/config.mirror": "3f1c", "kubernetes.io/config.source": "file" },
      },
      "mirror pod",
    ],
    ["a Succeeded pod", { phase: "Succeeded" as const }, "pod has finished (Succeeded)"],
    ["a Failed pod", { phase: "Failed" as const }, "pod has finished (Failed)"],
    [
      "a pod whose node the API server cannot reach",
      { phase: "Unknown" as const },
      "pod phase Unknown (its node cannot be reached)",
    ],
    ["a terminating pod", { deletionTimestamp: "2026-11-20T11:00:00Z" }, "already terminating"],
    ["a running Job's pod", { owner: { kind: "Job", name: "backup-29210" } }, "Job pod has not finished"],
    [
      "a pending Job's pod (its init container ran the old image)",
      {
        owner: { kind: "Job", name: "backup-29210" },
        phase: "Pending" as const,
        containers: [
          { name: "migrate", init: true, image: "nginx:latest", runningDigest: OLD },
          { name: "app", image: "nginx:latest" },
        ],
      },
      "Job pod has not finished",
    ],
    [
      "a pod of an unknown controller",
      { owner: { kind: "TaskRun", name: "build-1", apiVersion: "tekton.dev/v1" } },
      "TaskRun/build-1",
    ],
    [
      "a pod of another group's StatefulSet (OpenKruise's Advanced StatefulSet)",
      { owner: { kind: "StatefulSet", name: "db", apiVersion: "apps.kruise.io/v1beta1" } },
      "owned by StatefulSet/db of apps.kruise.io/v1beta1 (not the built-in apps/v1 StatefulSet), which is not known to recreate deleted pods",
    ],
    [
      "a pod of another group's Job (Volcano's)",
      { owner: { kind: "Job", name: "train", apiVersion: "batch.volcano.sh/v1alpha1" } },
      "owned by Job/train of batch.volcano.sh/v1alpha1 (not the built-in batch/v1 Job)",
    ],
    ["an opted-out pod", { labels: { "kubectl-autoupdate/ignore": "true" } }, "opted out"],
  ])("%s is skipped with a reason", (_, spec, reason) => {
    const pod = only(spec);
    expect(pod.action).toBe("skip");
    expect(pod.reason).toContain(reason);
    expect(pod.containers[0]!.status).toBe("stale");
  });

  it("a pod whose ReplicaSet is being deleted (a finalizer holds it) is skipped: nothing would bring it back", () => {
    const base = makeReplicaSet("web-7d9c8b", null);
    const deleting = { ...base, metadata: { ...base.metadata, deletionTimestamp: "2026-11-20T10:00:00Z" } };
    const decided = decidePlan({
      resolver: "registry",
      pods: [webPod()],
      owners: indexOwners([deleting]),
      resolutions: new Map([[nginx, resolved(NEW)]]),
    }).pods[0]!;
    expect(decided).toMatchObject({
      action: "skip",
      reason: "ReplicaSet/web-7d9c8b is being deleted: it would not bring the pod back",
    });
  });

  describe("a stale container beside one whose tag has no image a new pod could run", () => {
    const SIDE = digestOf("side v1");
    const side = "docker.io/library/side:main";
    const pod = webPod({
      containers: [
        { name: "app", image: "nginx:latest", runningDigest: OLD },
        { name: "side", image: "side:main", runningDigest: SIDE },
      ],
    });
    const withSide = (sideResolution: Resolution) =>
      plan([pod], { [nginx]: resolved(NEW), [side]: sideResolution }).pods[0]!;

    it("the registry has no such tag (404): skipped, as the replacement could not pull it", () => {
      const decided = withSide({
        tag: { ok: false, reason: "tag main not found (404)", missing: true },
        manifests: new Map(),
      });
      expect(decided).toMatchObject({
        action: "skip",
        reason: "container side (side:main): tag main not found (404), so a new pod could not start it",
      });
      expect(decided.containers.map((c) => c.status)).toEqual(["stale", "unknown"]);
    });

    it("so is a pod not started for it yet (ImagePullBackOff on a tag deleted), the 404 its reason", () => {
      const unstarted = webPod({
        containers: [
          { name: "app", image: "nginx:latest", runningDigest: OLD },
          { name: "side", image: "side:main" },
        ],
      });
      const decided = plan([unstarted], {
        [nginx]: resolved(NEW),
        [side]: {
          tag: { ok: false, reason: "tag main not found (404)", missing: true },
          manifests: new Map(),
        },
      }).pods[0]!;
      expect(decided).toMatchObject({
        action: "skip",
        reason: "container side (side:main): tag main not found (404), so a new pod could not start it",
      });
    });

    it("the tag has no image for the node's platform any more: skipped", () => {
      const [ARM_SIDE, AMD_SIDE] = [digestOf("side arm64 v1"), digestOf("side amd64 v2")];
      const armPod = webPod({
        containers: [
          { name: "app", image: "nginx:latest", runningDigest: OLD },
          { name: "side", image: "side:main", runningDigest: ARM_SIDE },
        ],
      });
      const amdOnly: Resolution = {
        tag: { ok: true, tag: { digest: AMD_SIDE, sameImageDigests: [], isIndex: false } },
        manifests: new Map([
          single(ARM_SIDE, { platform: "linux/arm64/v8" }),
          single(AMD_SIDE, { platform: "linux/amd64" }),
        ]),
      };
      const decided = plan([armPod], { [nginx]: resolved(NEW), [side]: amdOnly }).pods[0]!;
      expect(decided).toMatchObject({
        action: "skip",
        reason:
          "container side (side:main): the tag no longer has an image for linux/arm64/v8, so a new pod could not start it",
      });
    });

    it("a read that failed (a 503, a refused login) says nothing of the image: the pod is restarted", () => {
      const decided = withSide({
        tag: { ok: false, reason: "the registry answered 503" },
        manifests: new Map(),
      });
      expect(decided.action).toBe("delete");
    });
  });

  it("a pod whose ReplicaSet is not in the list (made after it was read) is skipped: a Deployment may roll it", () => {
    const decided = decidePlan({
      resolver: "registry",
      pods: [webPod()],
      owners: indexOwners([makeJob("backup-29210", "backup")]),
      resolutions: new Map([[nginx, resolved(NEW)]]),
    }).pods[0]!;
    expect(decided).toMatchObject({
      action: "skip",
      reason:
        "ReplicaSet/web-7d9c8b was not in the list of ReplicaSets (made since it was read?): whether a Deployment rolls it is not known",
    });
  });

  describe("a pod a rollout already made for the tag's digest, still on the old one: left, never rolled forever", () => {
    const restartedFor = (value: string) => ({ annotations: { "kubectl-autoupdate/restarted-for": value } });
    const short = NEW.slice("sha256:".length, "sha256:".length + 12);
    const cached = {
      name: "app",
      image: "nginx:latest",
      runningDigest: OLD,
      imagePullPolicy: "IfNotPresent",
    } as const;

    it("IfNotPresent: the node started its cached image; left until the tag moves", () => {
      const pod = only({ ...restartedFor(`app=${OLD}>${NEW}`), containers: [cached] });
      expect(pod).toMatchObject({
        action: "skip",
        reason: `already restarted for ${short} and back on the old digest: the node started its cached image (imagePullPolicy IfNotPresent on container app); left until the tag moves`,
      });
      expect(pod.containers[0]!.status).toBe("stale");
    });

    it("Always: pulled and still given the old digest", () => {
      expect(only(restartedFor(`app=${OLD}>${NEW}`)).reason).toBe(
        `already restarted for ${short} and back on the old digest though pulled (container app); left until the tag moves`,
      );
    });

    it("the tag moved since that restart, or went back while the pod runs another digest: restarted again", () => {
      const V15 = digestOf("web v1.5");
      expect(only({ ...restartedFor(`app=${OLD}>${V15}`), containers: [cached] }).action).toBe("delete");
      // Restarted from v1.5 to v2 once; the pod now runs v1 (not what that restart came from).
      const again = only({ ...restartedFor(`app=${V15}>${NEW}`), containers: [cached] });
      expect(again.action).toBe("delete");
      // What it carries goes with it, for the next rollout's record to keep (core/restarted-for.ts).
      expect(again.restartedBefore).toBe(`app=${V15}>${NEW}`);
      expect(only({ containers: [cached] }).restartedBefore).toBeUndefined();
    });

    it("another stale container that restart was not for: restarted; all of them: left", () => {
      const two = [
        { name: "app", image: "nginx:latest", runningDigest: OLD },
        { name: "side", image: "nginx:latest", runningDigest: OLD },
      ];
      expect(only({ ...restartedFor(`app=${OLD}>${NEW}`), containers: two }).action).toBe("delete");
      const both = only({ ...restartedFor(`app=${OLD}>${NEW},side=${OLD}>${NEW}`), containers: two });
      expect(both.action).toBe("skip");
      expect(both.reason).toContain("though pulled (containers app, side)");
    });

    it("the template restarted since by someone else (kubectl rollout restart): the record proves nothing", () => {
      // Rolled for v1 → v2 at 10:00; the tag went back to v1 and ops ran `kubectl rollout restart` at
      // 11:00; the tag is on v2 again. No restart for v1 → v2 has come back on v1.
      const record = (restartedAt: string) => ({
        "kubectl-autoupdate/restarted-for": `app=${OLD}>${NEW}`,
        "kubectl-autoupdate/restarted-at": "2026-01-02T10:00:00Z",
        "kubectl.kubernetes.io/restartedAt": restartedAt,
      });
      const since = only({ annotations: record("2026-01-02T11:00:00Z"), containers: [cached] });
      expect(since.action).toBe("delete");
      expect(since.restartedBefore).toBeUndefined();
      const ours = only({ annotations: record("2026-01-02T10:00:00Z"), containers: [cached] });
      expect(ours).toMatchObject({
        action: "skip",
        reason: expect.stringContaining("already restarted for"),
      });
    });

    it("an index published again around the same images (new attestations): still the restart tried", () => {
      const M = digestOf("web v2, amd64");
      const [I1, I2] = [digestOf("index of v2, built"), digestOf("index of v2, attested again")];
      const onIndex = (index: string, child: string): Resolution => ({
        tag: { ok: true, tag: { digest: index, sameImageDigests: [], isIndex: true } },
        manifests: new Map([
          [index, { ok: true, isIndex: true, children: [{ digest: child, platform: "linux/amd64" }] }],
          [OLD, { ok: true, isIndex: false, config: configOf(OLD), platform: "linux/amd64" }],
          [child, { ok: true, isIndex: false, config: configOf(child), platform: "linux/amd64" }],
        ]),
      });
      const planned = (annotation: string | undefined, resolution: Resolution) =>
        plan([webPod({ ...(annotation ? restartedFor(annotation) : {}), containers: [cached] })], {
          [nginx]: resolution,
        }).pods[0]!;
      // The rollout for I1 recorded both names of its move; its pods came back on OLD.
      const first = planned(undefined, onIndex(I1, M));
      const record = restartedForValue(first.containers)!;
      expect(record.split(",")).toEqual([`app=${OLD}>${I1}`, `app=${OLD}>${M}`].sort());
      expect(planned(record, onIndex(I2, M))).toMatchObject({ action: "skip" });
      // A new image under the new index is a move of its own.
      expect(planned(record, onIndex(I2, digestOf("web v3, amd64"))).action).toBe("delete");
    });

    it("current containers and a malformed value change nothing", () => {
      const current = only({
        ...restartedFor(`app=${OLD}>${NEW}`),
        containers: [{ name: "app", image: "nginx:latest", runningDigest: NEW }],
      });
      expect(current).toMatchObject({ action: "none", reason: "" });
      expect(only(restartedFor("app")).action).toBe("delete");
      expect(only(restartedFor("")).action).toBe("delete");
    });
  });

  it("owners: CronJob over Job, Deployment over ReplicaSet, a lone ReplicaSet as itself, a mirror pod's Node", () => {
    const job = only({ owner: { kind: "Job", name: "backup-29210" } });
    expect(job.owner).toEqual({ kind: "CronJob", name: "backup", apiVersion: "batch/v1" });
    expect(only({ owner: { kind: "ReplicaSet", name: "lonely-5f6d" } }).owner).toEqual({
      kind: "ReplicaSet",
      name: "lonely-5f6d",
      apiVersion: "apps/v1",
    });
    expect(only({ owner: { kind: "StatefulSet", name: "db" } })).toMatchObject({
      owner: { kind: "StatefulSet", name: "db" },
      action: "delete",
    });
    expect(only({ owner: { kind: "DaemonSet", name: "agent" } })).toMatchObject({ action: "delete" });
    expect(only({ owner: null }).owner).toBeNull();
  });

  it("a kind is the built-in one only in its group: another group's ReplicaSet is not the listed one's", () => {
    // The index holds apps/v1 ReplicaSet web-7d9c8b, owned by Deployment web.
    const custom = only({ owner: { ...rs, apiVersion: "example.io/v1" } });
    expect(custom.owner).toEqual({ ...rs, apiVersion: "example.io/v1" });
    expect(custom).toMatchObject({ action: "skip", reason: expect.stringContaining("of example.io/v1") });
    // apps/v1beta2 is the same group, and extensions/v1beta1 where those kinds were served before apps: the
    // built-in ReplicaSet.
    for (const apiVersion of ["apps/v1beta2", "extensions/v1beta1"]) {
      expect(only({ owner: { ...rs, apiVersion } }).owner).toMatchObject({ kind: "Deployment", name: "web" });
    }
    expect(
      only({ owner: { kind: "StatefulSet", name: "db", apiVersion: "extensions/v1beta1" } }),
    ).toMatchObject({
      action: "skip",
    });
  });

  it("warns about IfNotPresent on a stale container and about emptyDir and ephemeral volumes", () => {
    const pod = only({
      emptyDir: ["cache"],
      ephemeral: ["data"],
      containers: [
        { name: "app", image: "nginx:latest", runningDigest: OLD, imagePullPolicy: "IfNotPresent" },
        { name: "side", image: "nginx:latest", runningDigest: OLD, imagePullPolicy: "IfNotPresent" },
      ],
    });
    expect(pod.action).toBe("delete");
    expect(pod.warnings).toEqual([
      "imagePullPolicy IfNotPresent on container app: the node may start its cached old image again",
      "imagePullPolicy IfNotPresent on container side: the node may start its cached old image again",
      "emptyDir volume cache: its data is lost with the pod",
      "ephemeral volume data: its claim and data are lost with the pod",
    ]);
  });

  it("pods that share some lists (as a controller's pods read from the API do) are judged by all of theirs", () => {
    const first = webPod({
      name: "web-a",
      containers: [
        { name: "setup", image: "nginx:latest", runningDigest: OLD, init: true },
        { name: "app", image: "nginx:latest", runningDigest: OLD },
      ],
    });
    const other = webPod({
      name: "web-b",
      containers: [
        { name: "setup", image: "busybox:latest", runningDigest: NEW, init: true },
        { name: "app", image: "nginx:latest", runningDigest: NEW },
      ],
    });
    const sharing = (
      name: string,
      spec: Partial<Pod["spec"]>,
      status: Partial<NonNullable<Pod["status"]>>,
    ) => ({
      metadata: { ...first.metadata, name },
      spec: { ...first.spec, ...spec },
      status: { ...first.status, ...status },
    });
    const decided = plan(
      [
        first,
        sharing("new-statuses", {}, { containerStatuses: other.status!.containerStatuses }),
        sharing("new-init-statuses", {}, { initContainerStatuses: other.status!.initContainerStatuses }),
        sharing("new-init", { initContainers: other.spec.initContainers }, {}),
        sharing("same", {}, {}),
      ],
      { [nginx]: resolved(NEW) },
    ).pods;
    expect(
      decided.map((p) => [p.name, ...p.containers.map((c) => `${c.name} ${c.image} ${c.status}`)]),
    ).toEqual([
      ["web-a", "setup nginx:latest stale", "app nginx:latest stale"],
      ["new-statuses", "setup nginx:latest stale", "app nginx:latest current"],
      ["new-init-statuses", "setup nginx:latest current", "app nginx:latest stale"],
      ["new-init", "setup busybox:latest unknown", "app nginx:latest stale"],
      ["same", "setup nginx:latest stale", "app nginx:latest stale"],
    ]);
    expect(decided[4]!.containers).toBe(decided[0]!.containers);
  });

  it("pods of two namespaces that share their owner references have each namespace's owner", () => {
    const listed = webPod({ name: "web-a" });
    const elsewhere = { ...listed, metadata: { ...listed.metadata, name: "web-b", namespace: "unlisted" } };
    const [a, b] = plan([listed, elsewhere], stale).pods;
    expect(a!.owner).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "web" });
    expect(b!.owner).toMatchObject({ kind: "ReplicaSet", name: "web-7d9c8b" });
    expect(b!.reason).toContain("was not in the list of ReplicaSets");
  });

  it("pods of one template share one list of warnings; another emptyDir makes another list", () => {
    const spec: Partial<PodSpec> = {
      emptyDir: ["cache"],
      containers: [
        { name: "app", image: "nginx:latest", runningDigest: OLD, imagePullPolicy: "IfNotPresent" },
      ],
    };
    const [a, b, c] = plan(
      [
        webPod({ ...spec, name: "web-a" }),
        webPod({ ...spec, name: "web-b" }),
        webPod({ ...spec, name: "web-c", emptyDir: ["scratch"] }),
      ],
      stale,
    ).pods;
    expect(a!.warnings).toBe(b!.warnings);
    expect(c!.warnings).not.toBe(a!.warnings);
    expect(c!.warnings[1]).toBe("emptyDir volume scratch: its data is lost with the pod");
  });

  it("an emptyDir and an ephemeral volume of the same name are not the same warnings", () => {
    const [emptyDir, ephemeral] = plan(
      [webPod({ name: "web-a", emptyDir: ["data"] }), webPod({ name: "web-b", ephemeral: ["data"] })],
      stale,
    ).pods;
    expect(emptyDir!.warnings).toEqual(["emptyDir volume data: its data is lost with the pod"]);
    expect(ephemeral!.warnings).toEqual(["ephemeral volume data: its claim and data are lost with the pod"]);
  });

  it("no warnings for Always, and none on pods that are not deleted", () => {
    expect(only({}).warnings).toEqual([]);
    expect(only({ owner: null, emptyDir: ["x"] }).warnings).toEqual([]);
  });

  it("init containers count: a stale init container makes the pod stale", () => {
    const pod = webPod({
      containers: [
        { name: "migrate", image: "nginx:latest", runningDigest: OLD, init: true },
        { name: "app", image: "ghcr.io/org/app:main", runningDigest: digestOf("app") },
      ],
    });
    const decided = plan([pod], { [nginx]: resolved(NEW), "ghcr.io/org/app:main": resolved(digestOf("app")) })
      .pods[0]!;
    expect(decided.action).toBe("delete");
    expect(decided.containers.map((c) => [c.name, c.init, c.status])).toEqual([
      ["migrate", true, "stale"],
      ["app", false, "current"],
    ]);
  });

  it("several containers: one stale is enough, unknown ones do not block", () => {
    const pod = webPod({
      containers: [
        { name: "app", image: "nginx:latest", runningDigest: OLD },
        { name: "local", image: "app:dev", imageID: OLD },
      ],
    });
    const decided = plan([pod], { [nginx]: resolved(NEW), "docker.io/library/app:dev": resolved(NEW) })
      .pods[0]!;
    expect(decided.action).toBe("delete");
    expect(decided.containers.map((c) => c.status)).toEqual(["stale", "unknown"]);
  });

  it("--exit-code counts every running pod with a stale container: to delete, skipped, or already terminating", () => {
    const gate = (pods: Pod[]) => hasStalePods(plan(pods, { [nginx]: resolved(NEW) }));
    expect(gate([webPod()])).toBe(true);
    expect(gate([webPod({ owner: null })])).toBe(true);
    expect(gate([webPod({ deletionTimestamp: "2026-11-20T11:00:00Z" })])).toBe(true);
    // A finished pod (a CronJob's last Job's) runs nothing and is never restarted: it would fail the gate
    // for good.
    expect(gate([webPod({ phase: "Succeeded" }), webPod({ name: "failed", phase: "Failed" })])).toBe(false);
    expect(gate([webPod({ containers: [{ name: "app", image: "nginx:latest", runningDigest: NEW }] })])).toBe(
      false,
    );
  });

  it("summarizes by pod", () => {
    const pods = [
      webPod(),
      webPod({ name: "bare", owner: null }),
      webPod({ name: "fresh", containers: [{ name: "app", image: "nginx:latest", runningDigest: NEW }] }),
      webPod({ name: "kind", containers: [{ name: "app", image: "nginx:latest", imageID: NEW }] }),
      webPod({ name: "other-ns", namespace: "shop" }),
      // Stale and current containers alike: a finished pod runs nothing, as plan --exit-code agrees.
      webPod({ name: "done", phase: "Succeeded" }),
      webPod({
        name: "failed",
        phase: "Failed",
        containers: [{ name: "app", image: "nginx:latest", imageID: NEW }],
      }),
    ];
    expect(summarize(plan(pods, { [nginx]: resolved(NEW) }))).toEqual({
      toRestart: 2,
      skipped: 1,
      unknown: 1,
      current: 1,
      optedOut: 0,
      finished: 2,
      namespacesToRestart: 2,
    });
  });
});

describe("a read that failed decides nothing: unknown, never stale", () => {
  // Only a manifest the registry does not have (404) lets the digests alone decide; a 429, a 5xx or a
  // refused login says nothing about the image.
  const busy: ManifestInfo = { ok: false, reason: "the registry answered 503" };
  const resolution = (
    digest: string,
    isIndex: boolean | null,
    manifests: [string, ManifestInfo][],
    sameImageDigests: string[] = [],
  ): Resolution => ({
    tag: { ok: true, tag: { digest, sameImageDigests, isIndex } },
    manifests: new Map(manifests),
  });
  const container = (pod: Pod, r: Resolution, nodePlatforms?: Map<string, string | null>) =>
    decidePlan({
      resolver: "registry",
      pods: [pod],
      owners,
      resolutions: new Map([[nginx, r]]),
      ...(nodePlatforms ? { nodePlatforms } : {}),
    }).pods[0]!.containers[0]!;
  const runs = (digest: string) =>
    webPod({ node: "n1", containers: [{ name: "app", image: "nginx:latest", runningDigest: digest }] });

  const lost: ManifestInfo = { ok: false, reason: "not found (404)", missing: true };

  it("the running index's image for the node's platform, gone (404): stale on the digests alone, and said", () => {
    const [OLD_INDEX, NEW_INDEX, AMD, ARM, NEW_AMD] = ["i1", "i2", "amd64 v1", "arm64 v1", "amd64 v2"].map(
      digestOf,
    );
    const index = (...children: [string, string][]): ManifestInfo => ({
      ok: true,
      isIndex: true,
      children: children.map(([digest, platform]) => ({ digest, platform })),
    });
    const manifests: [string, ManifestInfo][] = [
      [OLD_INDEX!, index([AMD!, "linux/amd64"], [ARM!, "linux/arm64/v8"])],
      [AMD!, lost],
      single(ARM!, { platform: "linux/arm64/v8" }),
      single(NEW_AMD!),
    ];
    const why =
      "the running index's image for linux/amd64 could not be read (not found (404)), so its digest alone decides";
    // The tag names one image now, or an index of it.
    for (const [tag, isIndex, extra] of [
      [NEW_AMD!, false, []],
      [NEW_INDEX!, true, [[NEW_INDEX!, index([NEW_AMD!, "linux/amd64"])]]],
    ] as [string, boolean, [string, ManifestInfo][]][]) {
      const judged = container(
        runs(OLD_INDEX!),
        resolution(tag, isIndex, [...manifests, ...extra]),
        new Map([["n1", "linux/amd64"]]),
      );
      expect(judged).toMatchObject({ status: "stale", reason: why });
    }
  });

  it.each<[string, [string, ManifestInfo][], string]>([
    // On the tag's side even a 404 decides nothing: the tag's image is not known.
    [
      "the tag's manifest, gone (404)",
      [[NEW, lost], single(OLD)],
      "could not read the tag's manifest: not found (404)",
    ],
    // A registry that serves no manifest by digest: the running one's 404 says nothing of retention.
    [
      "both manifests, gone (404)",
      [
        [NEW, lost],
        [OLD, lost],
      ],
      "could not read the tag's manifest: not found (404)",
    ],
    // Nor when the tag's manifest came with its GET by tag (no digest header): that registry may serve no
    // manifest by digest either.
    [
      "the running manifest, gone (404), beside a tag's manifest read by its tag",
      [
        [NEW, { ...single(NEW)[1], readByTag: true } as ManifestInfo],
        [OLD, lost],
      ],
      "could not read the running manifest (not found (404)), and this registry's manifests were read only by their tag (it sends no digest header): whether it serves reads by digest is not known",
    ],
    [
      "the running manifest",
      [single(NEW), [OLD, busy]],
      "could not read the running manifest: the registry answered 503",
    ],
    [
      "the tag's manifest",
      [[NEW, busy], single(OLD)],
      "could not read the tag's manifest: the registry answered 503",
    ],
  ])("%s: unknown", (_, manifests, reason) => {
    expect(container(runs(OLD), resolution(NEW, false, manifests))).toMatchObject({
      status: "unknown",
      reason,
    });
  });

  it("the config that states a CRI-O platform manifest's platform: unknown", () => {
    const INDEX = digestOf("index v2");
    const ARM_OLD = digestOf("arm64 v1");
    const ARM_NEW = digestOf("arm64 v2");
    const index: ManifestInfo = {
      ok: true,
      isIndex: true,
      children: [{ digest: ARM_NEW, platform: "linux/arm64/v8" }],
    };
    const r = resolution(INDEX, true, [
      [INDEX, index],
      [ARM_OLD, { ok: false, reason: "its config, for its platform: the registry answered 503" }],
    ]);
    expect(container(runs(ARM_OLD), r)).toMatchObject({
      status: "unknown",
      reason:
        "could not read the running index to compare platforms: its config, for its platform: the registry answered 503",
    });
  });

  it("a child of either index: unknown", () => {
    const OLD_INDEX = digestOf("index v1");
    const NEW_INDEX = digestOf("index v2");
    const [A1, A2] = [digestOf("amd64 v1"), digestOf("amd64 v2")];
    const index = (child: string): ManifestInfo => ({
      ok: true,
      isIndex: true,
      children: [{ digest: child, platform: "linux/amd64" }],
    });
    for (const failure of [busy, lost]) {
      const r = resolution(NEW_INDEX, true, [
        [NEW_INDEX, index(A2)],
        [OLD_INDEX, index(A1)],
        single(A1),
        [A2, failure],
      ]);
      expect(container(runs(OLD_INDEX), r)).toMatchObject({
        status: "unknown",
        reason: `could not read the tag's image for linux/amd64: ${failure.reason}`,
      });
    }
  });

  it("a digest among docker's RepoDigests whose manifest cannot be read: unknown (it may be an index)", () => {
    const r = resolution(NEW, null, [[OLD, busy]], [OLD]);
    expect(container(runs(OLD), r)).toMatchObject({
      status: "unknown",
      reason:
        "could not read the running manifest, to tell whether it is an index: the registry answered 503",
    });
  });

  it("an index among docker's RepoDigests is compared platform by platform: docker's record is its own platform's", () => {
    const OLD_INDEX = digestOf("index v1");
    const NEW_INDEX = digestOf("index v2");
    const AMD = digestOf("amd64, unchanged");
    const [ARM1, ARM2] = [digestOf("arm64 v1"), digestOf("arm64 v2")];
    const index = (arm: string): ManifestInfo => ({
      ok: true,
      isIndex: true,
      children: [
        { digest: AMD, platform: "linux/amd64" },
        { digest: arm, platform: "linux/arm64/v8" },
      ],
    });
    const r = resolution(
      NEW_INDEX,
      null,
      [[NEW_INDEX, index(ARM2)], [OLD_INDEX, index(ARM1)], single(AMD), single(ARM1), single(ARM2)],
      [OLD_INDEX],
    );
    const pod = runs(OLD_INDEX);
    expect(container(pod, r, new Map([["n1", "linux/arm64/v8"]])).status).toBe("stale");
    expect(container(pod, r, new Map([["n1", "linux/amd64"]])).status).toBe("current");
  });

  it("Windows images told apart by os.version alone: not matched by platform, unknown", () => {
    const OLD_INDEX = digestOf("index v1");
    const NEW_INDEX = digestOf("index v2");
    const [W19, W22, W22B] = [digestOf("ltsc2019"), digestOf("ltsc2022"), digestOf("ltsc2022 rebuilt")];
    const index = (...children: string[]): ManifestInfo => ({
      ok: true,
      isIndex: true,
      children: children.map((digest) => ({ digest, platform: "windows/amd64" })),
    });
    const r = resolution(NEW_INDEX, true, [
      [NEW_INDEX, index(W19, W22B)],
      [OLD_INDEX, index(W19, W22)],
    ]);
    expect(container(runs(OLD_INDEX), r)).toMatchObject({
      status: "unknown",
      reason: "the tag's index has several images for windows/amd64, told apart by what is not compared",
    });
  });
});
