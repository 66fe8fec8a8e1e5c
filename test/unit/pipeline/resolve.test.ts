/** Resolving with a scripted resolver: what is read, and which answer stands when two reads meet. */
import { describe, expect, it } from "vitest";
import type { Resolver } from "../../../src/adapters/resolver.js";
import { decidePlan } from "../../../src/core/decide.js";
import { imagesInUse, imagesToResolve } from "../../../src/core/images-in-use.js";
import type { Pod } from "../../../src/core/k8s.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { ManifestInfo } from "../../../src/core/resolution.js";
import { nodesToInspect } from "../../../src/core/to-inspect.js";
import { resolveImages } from "../../../src/pipeline/resolve.js";
import { Limiter } from "../../../src/util/limiter.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

/** The plan of `pods` (of ReplicaSet web-7d9c8b) with `resolver` answering. */
async function planWith(resolver: Resolver, pods: Pod[]) {
  const resolutions = await resolveImages(imagesToResolve(imagesInUse(pods)), resolver, {
    limiter: new Limiter(4),
    credentialsFor: async () => [],
  });
  return decidePlan({
    resolver: "registry",
    pods,
    owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
    resolutions,
  });
}

describe("a digest read in two repositories", () => {
  it("a refusal in one repository does not undo a read in another: the digest names one content", async () => {
    const TAG = digestOf("app:main now");
    const D = digestOf("same image, another manifest");
    const config = configOf(TAG);
    const pod = (name: string, repository: string) =>
      makePod({
        name,
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "reg.test/app:main", imageID: `${repository}@${D}` }],
      });
    const pods = [pod("web-a", "reg.test/app"), pod("web-b", "reg.test/other")];
    const resolver: Resolver = {
      name: "registry",
      resolveTag: async () => ({ ok: true, tag: { digest: TAG, sameImageDigests: [], isIndex: false } }),
      async inspectManifest(ref, digest, _credentials, options): Promise<ManifestInfo> {
        if (ref.path === "other") {
          // The refusal arrives last.
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { ok: false, reason: "access denied" };
        }
        const platform = options?.platform ? { platform: "linux/amd64" } : {};
        return {
          ok: true,
          isIndex: false,
          config: digest === TAG || digest === D ? config : null,
          ...platform,
        };
      },
      describeImage: async () => ({ ok: true, created: null, labels: {} }),
    };
    const plan = await planWith(resolver, pods);
    expect(plan.pods.map((p) => [p.name, p.action, p.containers[0]!.status])).toEqual([
      ["web-a", "none", "current"],
      ["web-b", "none", "current"],
    ]);
  });
});

describe("a digest two repositories fail to read", () => {
  it("a 404 in one repository does not make another's failed read a deletion: unknown, not stale", async () => {
    const TAG = digestOf("app:main now");
    const D = digestOf("running, in two repositories");
    const pods = [
      makePod({
        name: "web-a",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "reg.test/app:main", imageID: `reg.test/app@${D}` }],
      }),
      makePod({
        name: "web-b",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "reg.test/app:main", imageID: `reg.test/other@${D}` }],
      }),
    ];
    const resolver: Resolver = {
      name: "registry",
      resolveTag: async () => ({ ok: true, tag: { digest: TAG, sameImageDigests: [], isIndex: false } }),
      async inspectManifest(ref, digest, _credentials, options): Promise<ManifestInfo> {
        if (digest === D && ref.path === "app")
          return { ok: false, reason: "rate limited by the registry (429)" };
        if (digest === D) {
          // The other repository's 404 arrives last.
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { ok: false, reason: `${D} not found (404)`, missing: true };
        }
        const platform = options?.platform ? { platform: "linux/amd64" } : {};
        return { ok: true, isIndex: false, config: configOf(digest), ...platform };
      },
      describeImage: async () => ({ ok: true, created: null, labels: {} }),
    };
    const plan = await planWith(resolver, pods);
    expect(plan.pods.map((p) => [p.name, p.action, p.containers[0]!.status])).toEqual([
      ["web-a", "none", "unknown"],
      ["web-b", "none", "unknown"],
    ]);
  });
});

describe("a digest another repository no longer has", () => {
  it("does not make a pod of the tag's own repository stale, which runs it inside an index read later", async () => {
    // Pod A runs the old index I of reg.test/app, whose amd64 child D has the tag's config: A is current.
    // Pod B's node names D in reg.test/app-build, whose retention policy deleted it: a 404 there, read
    // in the first round, before A's verdict asks for D (in the second, once I is read).
    const TAG = digestOf("app:main now: the amd64 image alone");
    const I = digestOf("app:main before: an index holding D");
    const D = digestOf("amd64 manifest D, the tag's config");
    const pod = (name: string, imageID: string) =>
      makePod({
        name,
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "reg.test/app:main", imageID }],
      });
    const pods = [pod("web-a", `reg.test/app@${I}`), pod("web-b", `reg.test/app-build@${D}`)];
    const resolver: Resolver = {
      name: "registry",
      resolveTag: async () => ({ ok: true, tag: { digest: TAG, sameImageDigests: [], isIndex: false } }),
      async inspectManifest(ref, digest, _credentials, options): Promise<ManifestInfo> {
        if (ref.path === "app-build")
          return { ok: false, reason: `${digest} not found (404)`, missing: true };
        if (digest === I)
          return { ok: true, isIndex: true, children: [{ digest: D, platform: "linux/amd64" }] };
        const platform = options?.platform ? { platform: "linux/amd64" } : {};
        return { ok: true, isIndex: false, config: configOf(TAG), ...platform };
      },
      describeImage: async () => ({ ok: true, created: null, labels: {} }),
    };
    const plan = await planWith(resolver, pods);
    expect(plan.pods.map((p) => [p.name, p.action, p.containers[0]!.status])).toEqual([
      ["web-a", "none", "current"],
      ["web-b", "none", "current"],
    ]);
  });

  it("a pod that runs it only there, on an arm64 node the tag no longer has an image for, is still held", async () => {
    // The agent runs an index I named in agent-build, whose amd64 child that repository cannot read; the
    // tag now names an amd64 image only. Its failure there is the agent's to go on from: its node is read
    // and, arm64, keeps the pod (its stale app container with it), as a failure stored by digest did.
    const APP = { old: digestOf("app old"), now: digestOf("app new") };
    const AGENT_TAG = digestOf("agent:main now: amd64 only");
    const I = digestOf("agent index the node runs, named in agent-build");
    const [A1, A2] = [digestOf("agent amd64"), digestOf("agent arm64")];
    const pod = makePod({
      name: "web-1",
      node: "arm-node",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [
        { name: "app", image: "reg.test/app:main", runningDigest: APP.old },
        { name: "agent", image: "reg.test/agent:main", imageID: `reg.test/agent-build@${I}` },
      ],
    });
    for (const failure of [
      { ok: false as const, reason: "rate limited by the registry (429)" },
      { ok: false as const, reason: "not found (404)", missing: true as const },
    ]) {
      const resolver: Resolver = {
        name: "registry",
        resolveTag: async (ref) => ({
          ok: true,
          tag: { digest: ref.path === "app" ? APP.now : AGENT_TAG, sameImageDigests: [], isIndex: false },
        }),
        async inspectManifest(ref, digest, _credentials, options): Promise<ManifestInfo> {
          if (digest === I) {
            const children = [
              { digest: A1, platform: "linux/amd64" },
              { digest: A2, platform: "linux/arm64/v8" },
            ];
            return { ok: true, isIndex: true, children };
          }
          if (digest === A1 && ref.path === "agent-build") return failure;
          const platform = options?.platform ? { platform: "linux/amd64" } : {};
          return { ok: true, isIndex: false, config: configOf(digest), ...platform };
        },
        describeImage: async () => ({ ok: true, created: null, labels: {} }),
      };
      const resolutions = await resolveImages(imagesToResolve(imagesInUse([pod])), resolver, {
        limiter: new Limiter(4),
        credentialsFor: async () => [],
      });
      const input = {
        resolver: "registry" as const,
        pods: [pod],
        owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
        resolutions,
      };
      expect(nodesToInspect(input)).toEqual(["arm-node"]);
      const [decided] = decidePlan({
        ...input,
        nodePlatforms: new Map([["arm-node", "linux/arm64/v8"]]),
      }).pods;
      const agent = decided!.containers.find((c) => c.name === "agent")!;
      expect([decided!.action, agent.status, agent.noImageToRun]).toEqual(["skip", "unknown", true]);
    }
  });
});

describe("--min-age, when a multi-arch tag was rebuilt for several platforms", () => {
  const NOW = Date.parse("2026-11-20T12:00:00Z");
  const [A1, A2] = [digestOf("amd64 v1"), digestOf("amd64 v2, 30 days old")];
  const [B1, B2] = [digestOf("arm64 v1"), digestOf("arm64 v2, 5 minutes old")];
  const [OLD_INDEX, NEW_INDEX] = [digestOf("index A1 B1"), digestOf("index A2 B2")];
  const index = (amd: string, arm: string): ManifestInfo => ({
    ok: true,
    isIndex: true,
    children: [
      { digest: amd, platform: "linux/amd64" },
      { digest: arm, platform: "linux/arm64/v8" },
    ],
  });
  const created: Record<string, string> = {
    [A2]: new Date(NOW - 30 * 86_400_000).toISOString(),
    [B2]: new Date(NOW - 5 * 60_000).toISOString(),
  };
  const pod = (name: string, runningDigest: string) =>
    makePod({
      name,
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [{ name: "app", image: "reg.test/app:main", runningDigest }],
    });
  /** The plan under --min-age 1h (or without), and the images described. */
  async function planOf(pods: Pod[], minAge: boolean) {
    const described: string[] = [];
    const resolver: Resolver = {
      name: "registry",
      resolveTag: async () => ({ ok: true, tag: { digest: NEW_INDEX, sameImageDigests: [], isIndex: true } }),
      async inspectManifest(_ref, digest, _credentials, options): Promise<ManifestInfo> {
        if (digest === OLD_INDEX) return index(A1, B1);
        if (digest === NEW_INDEX) return index(A2, B2);
        const amd = digest === A1 || digest === A2;
        const platform = options?.platform ? { platform: amd ? "linux/amd64" : "linux/arm64/v8" } : {};
        return { ok: true, isIndex: false, config: configOf(digest), ...platform };
      },
      async describeImage(_ref, digest) {
        described.push(digest);
        return { ok: true, created: created[digest] ?? null, labels: {} };
      },
    };
    const resolutions = await resolveImages(imagesToResolve(imagesInUse(pods)), resolver, {
      limiter: new Limiter(4),
      credentialsFor: async () => [],
      describeEveryMoved: minAge,
    });
    const plan = decidePlan({
      resolver: "registry",
      pods,
      owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
      resolutions,
      ...(minAge ? { minAgeMs: 3_600_000 } : {}),
      now: NOW,
    });
    return { plan, described: described.sort() };
  }

  it("judges the youngest of the images the stale pods may get, the nodes' platforms not being known", async () => {
    // An arm64 node kept the old index; both platforms were rebuilt since, at different times.
    const { plan, described } = await planOf([pod("web-arm", OLD_INDEX)], true);
    expect(described).toEqual([A2, B2].sort());
    const [decided] = plan.pods;
    expect(decided!.containers[0]!.status).toBe("stale");
    expect([decided!.action, decided!.containers[0]!.latestImage?.created]).toEqual(["skip", created[B2]]);
  });

  it("a runtime naming its platform's image (CRI-O, amd64) does not stand for a pod on an index (arm64)", async () => {
    const { plan, described } = await planOf([pod("web-amd", A1), pod("web-arm", OLD_INDEX)], true);
    expect(described).toEqual([A2, B2].sort());
    expect(plan.pods.map((p) => p.action)).toEqual(["skip", "skip"]);
  });

  it("without --min-age, one image stands for them: one config read", async () => {
    const { plan, described } = await planOf([pod("web-arm", OLD_INDEX)], false);
    expect(described).toHaveLength(1);
    expect(plan.pods[0]!.action).toBe("delete");
  });
});

describe("a platform read that failed", () => {
  it("says why, though the manifest itself was read before", async () => {
    // The node runs a two-platform index I; the tag T is now one manifest, read plainly first. Which
    // platform T is for needs its config, and that read fails.
    const T = digestOf("tag now");
    const I = digestOf("index running");
    const [AMD, ARM] = [digestOf("amd64 child"), digestOf("arm64 child")];
    const pods = [
      makePod({
        name: "web-a",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        containers: [{ name: "app", image: "reg.test/app:main", runningDigest: I }],
      }),
    ];
    const resolver: Resolver = {
      name: "registry",
      resolveTag: async () => ({ ok: true, tag: { digest: T, sameImageDigests: [], isIndex: false } }),
      async inspectManifest(_ref, digest, _credentials, options): Promise<ManifestInfo> {
        if (digest === I) {
          const children = [
            { digest: AMD, platform: "linux/amd64" },
            { digest: ARM, platform: "linux/arm64/v8" },
          ];
          return { ok: true, isIndex: true, children };
        }
        if (digest === T && options?.platform) {
          return { ok: false, reason: "its config, for its platform: the registry answered 503" };
        }
        return { ok: true, isIndex: false, config: configOf(digest) };
      },
      describeImage: async () => ({ ok: true, created: null, labels: {} }),
    };
    const plan = await planWith(resolver, pods);
    expect(plan.pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: expect.stringMatching(/503/),
    });
  });
});
