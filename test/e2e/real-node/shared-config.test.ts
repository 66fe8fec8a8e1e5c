/**
 * No endless restarts, on the real node. containerd keys images by config digest and reports, for any pod,
 * the smallest of the image's repository digests, so a pod can report a digest that is not its tag's and
 * still run the tag's very image. Three tags of the issue share one config with others:
 *   app:rebuilt  an index whose amd64 child has app:main's config under another manifest digest;
 *   app:multi    an index whose amd64 child is app:main's own manifest;
 *   flip:main    a manifest that flip:multi's index holds, the index's digest sorting first;
 *   slim:live    slim:multi's amd64 image alone, under another manifest digest (the index of two
 *                platforms sorting first): a multi-arch tag re-published for one platform.
 * Each Deployment starts on an image of its own, the tags move to those images, `apply` restarts the pods,
 * and the next plan must show nothing stale, whichever digest the node reports; again after every pod has
 * restarted with all of the image's digests on the node (each pod then reports the smallest), with both
 * resolvers; and a second `apply` has nothing to restart. The registry requests of each case's plan are
 * counted at the proxy. Also here: a reference with an unsupported digest algorithm.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, kk, kubectl, type PlanDoc, planJson, plugin, until } from "../../support/e2e.js";
import { digestOf, listPods, type RegistryCost, settledPods, useRealNode } from "../../support/real-node.js";
import { barePod, deployment } from "../../support/workloads.js";
import type { Pushed } from "../../testbed/node-images.js";

const ns = "e2e-rn-shared";
const lane = useRealNode({ name: "rn-shared", namespaces: [ns] });

interface Case {
  /** The Deployment, also the app label. */
  name: string;
  repository: string;
  tag: string;
}
const cases: Case[] = [
  { name: "main", repository: "app", tag: "main" },
  { name: "multi", repository: "app", tag: "multi" },
  { name: "rebuilt", repository: "app", tag: "rebuilt" },
  { name: "flip-multi", repository: "flip", tag: "multi" },
  { name: "flip-main", repository: "flip", tag: "main" },
  { name: "slim-multi", repository: "slim", tag: "multi" },
  { name: "slim", repository: "slim", tag: "live" },
];

/** What each tag names once moved, and every digest of the same image (what containerd may report). */
const moved = new Map<string, { tag: Pushed; config: string; sameImage: string[] }>();
const costs: Record<string, RegistryCost> = {};

beforeAll(async () => {
  // Each on an image of its own first.
  for (const c of cases) await lane.images.image(c.repository, `${c.name} v0`, { tag: c.tag });
  await apply(
    ...cases.map((c) =>
      deployment(c.name, ns, 1, {
        image: lane.ref(c.repository, c.tag),
        pullPolicy: "Always",
        terminationGracePeriodSeconds: 1,
        ...lane.onNode,
      }),
    ),
  );
  await settledPods(ns, "app", cases.length);
});

/** The tags move to the issue's images. */
async function moveTags(): Promise<void> {
  const images = lane.images;
  const arm = () => images.image("app", "app v1 arm64", { arch: "arm64" });
  const main = await images.image("app", "app v1", { tag: "main" });
  const multi = await images.index("app", [main, await arm()], { tag: "multi" });
  // Same config, same layers, one annotation more: another manifest digest for the same image.
  const mainAgain = await images.image("app", "app v1", { annotations: { "org.example.rebuilt": "yes" } });
  const rebuilt = await images.index("app", [mainAgain, await arm()], { tag: "rebuilt" });
  const flip = await images.image("flip", "flip v1", { tag: "main" });
  let flipMulti: Pushed;
  for (let n = 0; ; n++) {
    flipMulti = await images.index("flip", [flip], { annotations: { "org.example.n": String(n) } });
    if (flipMulti.digest < flip.digest) break;
  }
  await images.tag(flipMulti, "multi");
  const slimAmd64 = await images.image("slim", "slim v1");
  const slimArm64 = await images.image("slim", "slim v1 arm64", { arch: "arm64" });
  const slimMulti = await images.index("slim", [slimAmd64, slimArm64], { tag: "multi" });
  let slim: Pushed;
  for (let n = 0; ; n++) {
    slim = await images.image("slim", "slim v1", { annotations: { "org.example.n": String(n) } });
    if (slim.digest > slimMulti.digest) break;
  }
  await images.tag(slim, "live");
  // containerd records the digest each pull resolved (the index's for an index), per config.
  const app = [main.digest, multi.digest, rebuilt.digest];
  const flips = [flip.digest, flipMulti.digest];
  moved.set("main", { tag: main, config: main.config!, sameImage: app });
  moved.set("multi", { tag: multi, config: main.config!, sameImage: app });
  moved.set("rebuilt", { tag: rebuilt, config: main.config!, sameImage: app });
  moved.set("flip-main", { tag: flip, config: flip.config!, sameImage: flips });
  moved.set("flip-multi", { tag: flipMulti, config: flip.config!, sameImage: flips });
  const slims = [slimMulti.digest, slim.digest];
  moved.set("slim-multi", { tag: slimMulti, config: slim.config!, sameImage: slims });
  moved.set("slim", { tag: slim, config: slim.config!, sameImage: slims });
}

/** One plan of the namespace: each case's pod by its Deployment's name. */
async function planAll(resolver: string): Promise<Map<string, PlanDoc["pods"][number]>> {
  const doc = await planJson(["-n", ns, "-l", "app!=bad-digest", "--resolver", resolver]);
  expect(doc.pods).toHaveLength(cases.length);
  return new Map(doc.pods.map((p) => [caseOf(p.name), p]));
}

/** Each case's plan on its own (`-l app=NAME`), so each one's registry requests are counted apart. */
async function planEach(step: string): Promise<Map<string, PlanDoc["pods"][number]>> {
  const byCase = new Map<string, PlanDoc["pods"][number]>();
  for (const c of cases) {
    const { result, cost } = await lane.counting(() =>
      planJson(["-n", ns, "-l", `app=${c.name}`, "--resolver", "registry"]),
    );
    expect(result.pods, c.name).toHaveLength(1);
    byCase.set(c.name, result.pods[0]!);
    costs[`${c.name}: ${step}`] = cost;
  }
  return byCase;
}

/** A Deployment's pod's case: `flip-main-7d9c8b6f5-x2x9q` → `flip-main`. */
const caseOf = (pod: string) => pod.replace(/-[^-]+-[^-]+$/, "");

/** Every case current: its running digest is one of its image's digests, whichever the node reported. */
function expectAllCurrent(byCase: Map<string, PlanDoc["pods"][number]>, why: string): void {
  for (const c of cases) {
    const pod = byCase.get(c.name)!;
    const { tag, sameImage } = moved.get(c.name)!;
    expect(pod, `${c.name} ${why}`).toMatchObject({ action: "none" });
    expect(pod.containers[0], `${c.name} ${why}`).toMatchObject({
      status: "current",
      latestDigest: tag.digest,
    });
    expect(sameImage, `${c.name} ${why}`).toContain(pod.containers[0]!.runningDigest);
  }
}

afterAll(() => {
  const lines = Object.entries(costs).map(
    ([step, c]) =>
      `  ${step}: HEAD ${c.manifestHead}, GET ${c.manifestGet}, blob GET ${c.blobGet}` +
      (c.requests.length > 1 ? `\n    ${c.requests.join("\n    ")}` : ""),
  );
  console.error(`registry requests per plan (--resolver registry):\n${lines.join("\n")}`);
});

describe("tags that share their image's config with other tags, on containerd", () => {
  it("the tags move: plan finds every one stale", async () => {
    await moveTags();
    const { result: doc, cost } = await lane.counting(() => planJson(["-n", ns, "--resolver", "registry"]));
    costs["all: moved"] = cost;
    expect(doc.pods).toHaveLength(cases.length);
    for (const pod of doc.pods) {
      expect(pod, pod.name).toMatchObject({ action: "delete" });
      expect(pod.containers[0]!.status, pod.name).toBe("stale");
    }
  });

  it("apply restarts each once; the node reports other digests of the same images; the next plan shows nothing stale", async () => {
    const result = await plugin(["apply", "--yes", "-n", ns, "--resolver", "registry"]);
    console.error(`apply:\n${result.stdout}${result.stderr}`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const c of cases) {
      expect(result.stdout).toContain(
        `deployment.apps ${ns}/${c.name} restarted (rollout): 1 pod replaced\n`,
      );
    }
    const pods = await settledPods(ns, "app", cases.length, (p) =>
      moved.get(caseOf(p.name))!.sameImage.includes(digestOf(p.imageID)),
    );
    console.error(
      `after apply, the node reported:\n${pods.map((p) => `  ${p.name}: ${p.image} ${p.imageID}`).join("\n")}`,
    );
    expectAllCurrent(await planAll("registry"), "after apply");
  });

  it("restarted again with every digest on the node, each pod reports its image's smallest digest: still current", async () => {
    await kk(["rollout", "restart", "deployment", "-n", ns, ...cases.map((c) => c.name)]);
    const pods = await settledPods(ns, "app", cases.length, (p) => {
      return digestOf(p.imageID) === [...moved.get(caseOf(p.name))!.sameImage].sort()[0];
    });
    console.error(
      `restarted, the node reported:\n${pods.map((p) => `  ${p.name}: ${p.image} ${p.imageID}`).join("\n")}`,
    );
    const reported = Object.fromEntries(pods.map((p) => [caseOf(p.name), p]));
    // The issue's forms: app:rebuilt's pod never reports its tag's digest; flip:main's reports flip:multi's.
    expect(digestOf(reported["rebuilt"]!.imageID)).not.toBe(moved.get("rebuilt")!.tag.digest);
    expect(reported["flip-main"]!.imageID).toBe(lane.ref("flip", moved.get("flip-multi")!.tag.digest));
    expect(reported["flip-main"]!.image).toBe(lane.ref("flip", "main"));
    expect(reported["slim"]!.imageID).toBe(lane.ref("slim", moved.get("slim-multi")!.tag.digest));
    const byCase = await planEach("every digest on the node");
    expectAllCurrent(byCase, "registry resolver");
    // Manifests are read by digest only when the digests differ, each once.
    for (const c of cases) {
      const container = byCase.get(c.name)!.containers[0]!;
      const cost = costs[`${c.name}: every digest on the node`]!;
      if (container.runningDigest === container.latestDigest) {
        expect(cost, c.name).toMatchObject({ manifestHead: 1, manifestGet: 0, blobGet: 0 });
      }
      expect(new Set(cost.requests).size, c.name).toBe(cost.requests.length);
    }
    // Proven by config: app:rebuilt's pod runs a manifest its index does not list, slim:live's an index.
    for (const name of ["rebuilt", "slim"]) {
      expect(byCase.get(name)!.containers[0]!.reason, name).toBe(
        `the same image (config ${moved.get(name)!.config}) under another digest`,
      );
    }
    expectAllCurrent(await planAll("docker"), "docker resolver");
  });

  it("a second apply has nothing to restart", async () => {
    for (const resolver of ["registry", "docker"]) {
      const result = await plugin(["apply", "--yes", "-n", ns, "--resolver", resolver]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout, resolver).not.toMatch(/restarted|evicted|deleted/);
    }
  });
});

describe("a reference with an unsupported digest algorithm", () => {
  it("is unknown, not pinned; the kubelet refuses to pull it", async () => {
    const image = `${lane.ref("app", "main").replace(/:main$/, "")}@invaliddigest:${"f".repeat(64)}`;
    const created = await kubectl(
      ["apply", "-f", "-"],
      JSON.stringify(deployment("bad-digest", ns, 1, { image, ...lane.onNode })),
    );
    console.error(`kubectl apply of ${image}: exit ${created.code}\n${created.stdout}${created.stderr}`);
    expect(created.code, created.stderr).toBe(0);
    const waiting = await until("the kubelet to refuse the reference", async () => {
      const [pod] = await listPods(ns, "app=bad-digest");
      const status = pod?.status?.containerStatuses?.[0];
      const reason = status?.state?.waiting?.reason;
      return reason && reason !== "ContainerCreating" ? status : undefined;
    });
    console.error(`the kubelet: ${JSON.stringify(waiting)}`);
    expect(waiting.state?.waiting?.reason).toBe("InvalidImageName");
    expect(waiting.state?.waiting?.message).toContain("unsupported digest algorithm");
    const doc = await planJson(["-n", ns, "-l", "app=bad-digest", "--resolver", "registry"]);
    expect(doc.pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: 'invalid image reference: unsupported digest algorithm "invaliddigest"',
    });
    // Also as a bare pod, as the API server stores it.
    await apply(barePod("bad-digest-pod", ns, { image, ...lane.onNode }));
    const stored = JSON.parse(await kk(["get", "pod", "bad-digest-pod", "-n", ns, "-o", "json"]));
    expect(stored.spec.containers[0].image).toBe(image);
  });
});
