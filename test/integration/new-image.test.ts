/**
 * What the new image is, how old it is, and which images a run looks at — through the built CLI against
 * the real distribution registry (behind a counting proxy), with images whose config states a chosen build
 * time and OCI labels (test/support/crafted-image.ts), for both resolvers. kubectl is the recording fake.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushCraftedImage } from "../support/crafted-image.js";
import { FakeCluster } from "../support/fake-kubectl.js";
import { makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.js";
import { deploymentPod, planOf, removeTempDirs, runPlan } from "../support/registry/harness.js";

const owners = [makeReplicaSet("web-7d9c8b", "web")];
const ago = (minutes: number) =>
  new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
const revision = "9f8e7d1c0b2a39485766554433221100ffeeddcc";

let open: Registry;
let proxy: FaultProxy;

beforeAll(async () => {
  open = await startRegistry();
  proxy = await startFaultProxy(open.host);
});
afterAll(async () => {
  removeTempDirs();
  await proxy?.stop();
  await open?.stop();
});

interface NewImageFields {
  latestImage?: {
    created: string | null;
    revision?: string;
    source?: string;
    version?: string;
    title?: string;
  };
}

/** A tag moved from v1 to a v2 built `minutes` ago with these labels; a pod still runs v1. */
async function moved(repository: string, v2: { created?: string; labels?: Record<string, string> }) {
  const v1 = await pushCraftedImage(open.host, repository, "main", {
    content: `${repository} v1`,
    created: ago(600),
  });
  const now = await pushCraftedImage(open.host, repository, "main", { content: `${repository} v2`, ...v2 });
  return { v1: v1.manifest, v2: now.manifest, image: `${proxy.host}/${repository}:main` };
}

describe("what the new image is", () => {
  it("its build time and OCI labels, with the registry resolver and with docker", async () => {
    const created = ago(12);
    const tag = await moved("labelled", {
      created,
      labels: {
        "org.opencontainers.image.revision": revision,
        "org.opencontainers.image.source": "https://git.example.com/shop/web",
        "org.opencontainers.image.version": "1.2.3",
        "org.opencontainers.image.title": "web",
        "com.example.team": "shop",
      },
    });
    const cluster = new FakeCluster({ pods: [deploymentPod("web-1", tag.image, tag.v1)], objects: owners });
    const expected = {
      created,
      revision,
      source: "https://git.example.com/shop/web",
      version: "1.2.3",
      title: "web",
    };
    for (const resolver of ["registry", "docker"]) {
      const doc = planOf(await runPlan(cluster, ["plan", "--resolver", resolver, "-o", "json"]));
      const container = doc.pods[0]!.containers[0]! as (typeof doc.pods)[0]["containers"][0] & NewImageFields;
      expect(container.status, resolver).toBe("stale");
      expect(container.latestImage, resolver).toEqual(expected);
    }

    const wide = await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "wide"]);
    expect(wide.stdout).toMatch(/NEW REVISION\s+NEW AGE/);
    expect(wide.stdout).toMatch(/9f8e7d1\s+1[23]m\s+evict/);
  });

  it("labels that are missing are simply absent, and nothing becomes unknown because of them", async () => {
    const created = ago(30);
    const tag = await moved("plain", { created });
    const cluster = new FakeCluster({ pods: [deploymentPod("web-1", tag.image, tag.v1)], objects: owners });
    const doc = planOf(await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json"]));
    const container = doc.pods[0]!.containers[0]! as (typeof doc.pods)[0]["containers"][0] & NewImageFields;
    expect(container.status).toBe("stale");
    expect(container.latestImage).toEqual({ created });
  });

  it("the new image is read once per run, only for tags that moved: nothing moved costs one HEAD", async () => {
    const tag = await moved("counted", { created: ago(30) });
    const still = await pushCraftedImage(open.host, "unmoved", "main", {
      content: "unmoved",
      created: ago(60),
    });
    const pods = [
      deploymentPod("web-1", tag.image, tag.v1),
      deploymentPod("web-2", tag.image, tag.v1),
      deploymentPod("api-1", `${proxy.host}/unmoved:main`, still.manifest),
    ];
    const cluster = new FakeCluster({ pods, objects: owners });
    proxy.requests.length = 0;
    planOf(await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json"]));
    // The moved tag: HEAD, its manifest and v1's (one image or two?), and their configs (the platform
    // each is for; v2's also what it is); the unmoved one: HEAD.
    expect(proxy.manifestRequests()).toEqual({ HEAD: 2, GET: 2 });
    expect(proxy.requests.filter((r) => r.path.includes("/blobs/")).length).toBe(2);
  });
});

describe("--min-age", () => {
  it("holds back a fresh push, lets an old enough one through, and does not trust a reproducible build's time", async () => {
    const fresh = await moved("fresh", { created: ago(2) });
    const seasoned = await moved("seasoned", { created: ago(45) });
    const epoch = await moved("epoch", { created: "1970-01-01T00:00:00Z" });
    const pods = [
      deploymentPod("fresh-1", fresh.image, fresh.v1),
      deploymentPod("seasoned-1", seasoned.image, seasoned.v1),
      deploymentPod("epoch-1", epoch.image, epoch.v1),
    ];
    const cluster = new FakeCluster({ pods, objects: owners });
    const doc = planOf(
      await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json", "--min-age", "10m"]),
    );
    expect(doc.pods[0]!.reason).toMatch(/^new image is 2m(\d+s)? old, --min-age 10m$/);
    expect(doc.pods.map((p) => [p.name, p.action, p.containers[0]!.status, p.reason]).slice(1)).toEqual([
      ["seasoned-1", "delete", "stale", ""],
      [
        "epoch-1",
        "skip",
        "stale",
        "the new image's build time is a reproducible build's fixed time (1970-01-01T00:00:00Z): --min-age 10m cannot be checked",
      ],
    ]);
    // Without --min-age the same plan restarts all three.
    const plain = planOf(await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json"]));
    expect(plain.pods.map((p) => p.action)).toEqual(["delete", "delete", "delete"]);
  });
});

describe("--image: only the named references", () => {
  it("narrows the plan and what is resolved to the images named, as normalized references", async () => {
    const web = await moved("narrow-web", { created: ago(30) });
    const api = await moved("narrow-api", { created: ago(30) });
    const pods = [deploymentPod("web-1", web.image, web.v1), deploymentPod("api-1", api.image, api.v1)];
    const cluster = new FakeCluster({ pods, objects: owners });
    proxy.requests.length = 0;
    const named = `${proxy.host}/narrow-web`;
    const doc = planOf(
      await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json", "--image", `${named}:main`]),
    );
    expect(doc.pods.map((p) => p.name)).toEqual(["web-1"]);
    expect(proxy.manifestRequests().HEAD).toBe(1);
    expect(proxy.requests.every((r) => !r.path.includes("narrow-api"))).toBe(true);

    // No tag means :latest, which no pod runs.
    const none = planOf(
      await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json", "--image", named]),
    );
    expect(none.pods).toEqual([]);
  });

  it("a bad --image is refused before anything runs", async () => {
    const cluster = new FakeCluster({ pods: [], objects: owners });
    const run = await runPlan(cluster, ["plan", "--image", "Bad:Ref"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: invalid value "Bad:Ref" for --image: repository name "library/Bad" must be lowercase\n',
    );
    expect(cluster.calls()).toEqual([]);
  });
});

describe("apply says what it rolls out", () => {
  it("one line per moved image: old → new digest, revision, version, age", async () => {
    const tag = await moved("rolled", {
      created: ago(12),
      labels: { "org.opencontainers.image.revision": revision, "org.opencontainers.image.version": "1.2.3" },
    });
    const cluster = new FakeCluster({
      pods: [deploymentPod("web-1", tag.image, tag.v1), deploymentPod("web-2", tag.image, tag.v1)],
      objects: owners,
    });
    const run = await runPlan(cluster, ["apply", "--yes", "--no-wait", "--resolver", "registry"]);
    expect(run.code, run.stderr).toBe(0);
    const short = (d: string) => d.slice(7, 19);
    const line = new RegExp(
      `^${tag.image.replace(/[.]/g, "\\.")} ${short(tag.v1)} → ${short(tag.v2)} \\(revision 9f8e7d1, version 1\\.2\\.3, built 1[23]m ago\\)$`,
      "m",
    );
    expect(run.stdout).toMatch(line);
    expect(run.stdout.match(line)).toHaveLength(1);
  });
});
