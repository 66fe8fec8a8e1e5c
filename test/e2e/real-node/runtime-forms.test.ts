/**
 * What a real runtime reports: a real node (kubelet v1.35.4 + containerd 2.2.9, test/testbed/node-start.sh)
 * runs the cases of issue 12 from a real registry, and its pods' `image` and `imageID` are checked against
 * containerd's rule: images are keyed by config digest across repositories, `image` is the image's
 * alphabetically first tag (the config digest when it has none) and `imageID` its smallest repository digest,
 * whatever reference the pod asked for, as they stand when the container starts. Then the simulator's
 * containerd mode runs the same pods in the same order and must report exactly the same strings, so the
 * simulator cannot drift from the runtime it imitates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../simulator/index.js";
import { apply, createNamespace, deleteNamespaces, kk, kubectl, testbed, until } from "../../support/e2e.js";
import { type Registry, startRegistry } from "../../support/registry/distribution.js";
import { barePod, dockerConfigSecret } from "../../support/workloads.js";
import { ImagePusher, type Pushed } from "../../testbed/node-images.js";
import { launchRealNode, type RealNode } from "../../testbed/scripts.js";

const ns = "e2e-real-node";
const realNode = "real-node";
const simNode = "real-node-sim";
let registry: Registry;
let node: RealNode;
let sim: Simulator;
let images: ImagePusher;

beforeAll(async () => {
  registry = await startRegistry();
  node = await launchRealNode(testbed(), { name: realNode });
  images = new ImagePusher(registry.host, node.bin);
  sim = await startSimulator({
    kubeconfig: testbed().kubeconfig,
    nodes: [{ name: simNode, runtime: "containerd", arch: "amd64" }],
  });
  await createNamespace(ns);
});

afterAll(async () => {
  // Pods first, while the kubelet and the simulator still run to finish them.
  await deleteNamespaces([ns]);
  await sim?.stop();
  await node?.stop();
  await registry?.stop();
});

interface Observed {
  image: string;
  imageID: string;
  containerID: string;
}

/** Waits until the pod's container runs; its status as the node reported it. */
async function running(name: string): Promise<Observed> {
  return until(
    `pod ${name} running`,
    async () => {
      const pod = JSON.parse(await kk(["get", "pod", name, "-n", ns, "-o", "json"]));
      const status = pod.status?.containerStatuses?.[0];
      if (pod.status?.phase !== "Running" || !status?.state?.running || !status.imageID) return undefined;
      return { image: status.image, imageID: status.imageID, containerID: status.containerID };
    },
    120_000,
  );
}

/** containerd's image store as far as status shows it: config digest → its tags and repository digests. */
class ContainerdModel {
  private readonly images = new Map<string, { tags: Set<string>; digests: Set<string> }>();

  /** A pull of `ref` that resolved to `digest` and an image with config `config`. */
  pull(ref: string, digest: string, config: string): void {
    const repo = ref.replace(/[@:][^/]*$/, "");
    const tag = ref.includes("@") ? null : ref;
    const image = this.images.get(config) ?? { tags: new Set(), digests: new Set() };
    this.images.set(config, image);
    if (tag) for (const other of this.images.values()) other.tags.delete(tag);
    if (tag) image.tags.add(tag);
    image.digests.add(`${repo}@${digest}`);
  }

  status(config: string): { image: string; imageID: string } {
    const image = this.images.get(config)!;
    return { image: [...image.tags].sort()[0] ?? config, imageID: [...image.digests].sort()[0]! };
  }
}

interface Case {
  pod: string;
  ref: string;
  /** What the reference resolves to (index digest for an index). */
  digest: string;
  config: string;
}

/** The scenario's images, pushed once for both nodes. */
async function pushScenario(): Promise<Case[]> {
  const arm = (repo: string, content: string) => images.image(repo, content, { arch: "arm64" });
  const main = await images.image("app", "app v1", { tag: "main" });
  const multi = await images.index("app", [main, await arm("app", "app v1 arm64")], { tag: "multi" });
  // Same config, same layers, one annotation more: another manifest digest for the same image.
  const mainAgain = await images.image("app", "app v1", { annotations: { "org.example.rebuilt": "yes" } });
  const rebuilt = await images.index("app", [mainAgain, await arm("app", "app v1 arm64")], {
    tag: "rebuilt",
  });
  const flip = await images.image("flip", "flip v1", { tag: "main" });
  // flip:multi is an index of flip:main's own manifest whose digest sorts before that manifest's.
  let flipMulti: Pushed;
  for (let n = 0; ; n++) {
    flipMulti = await images.index("flip", [flip], { annotations: { "org.example.n": String(n) } });
    if (flipMulti.digest < flip.digest) break;
  }
  await images.tag(flipMulti, "multi");
  // A manifest that no tag names.
  const pinned = await images.image("app", "app pinned");
  const h = registry.host;
  return [
    { pod: "app-main", ref: `${h}/app:main`, digest: main.digest, config: main.config! },
    { pod: "app-multi", ref: `${h}/app:multi`, digest: multi.digest, config: main.config! },
    { pod: "app-rebuilt", ref: `${h}/app:rebuilt`, digest: rebuilt.digest, config: main.config! },
    { pod: "flip-main", ref: `${h}/flip:main`, digest: flip.digest, config: flip.config! },
    { pod: "flip-multi", ref: `${h}/flip:multi`, digest: flipMulti.digest, config: flip.config! },
    { pod: "flip-main-again", ref: `${h}/flip:main`, digest: flip.digest, config: flip.config! },
    { pod: "pinned", ref: `${h}/app@${pinned.digest}`, digest: pinned.digest, config: pinned.config! },
  ];
}

/** Runs the cases one after the other on `nodeName` (pods `<prefix>-<case>`); what each pod reported. */
async function runCases(cases: Case[], nodeName: string, prefix: string): Promise<Record<string, Observed>> {
  const observed: Record<string, Observed> = {};
  for (const c of cases) {
    const name = `${prefix}-${c.pod}`;
    await apply(
      barePod(name, ns, {
        image: c.ref,
        pullPolicy: "Always",
        nodeSelector: { "kubernetes.io/hostname": nodeName },
        terminationGracePeriodSeconds: 1,
      }),
    );
    observed[c.pod] = await running(name);
  }
  return observed;
}

const formsOf = (observed: Record<string, Observed>) =>
  Object.fromEntries(
    Object.entries(observed).map(([pod, o]) => [pod, { image: o.image, imageID: o.imageID }]),
  );

let cases: Case[];
let real: Record<string, Observed>;

describe("containerd on the real node", () => {
  it("reports each pod's image and imageID by config digest: first tag, smallest repository digest", async () => {
    cases = await pushScenario();
    real = await runCases(cases, realNode, "real");
    const model = new ContainerdModel();
    const expected: Record<string, { image: string; imageID: string }> = {};
    for (const c of cases) {
      model.pull(c.ref, c.digest, c.config);
      expected[c.pod] = model.status(c.config);
    }
    console.error(`real node reported:\n${JSON.stringify(formsOf(real), null, 2)}`);
    expect(formsOf(real)).toEqual(expected);
    const digest = (pod: string) => cases.find((c) => c.pod === pod)!.digest;
    const h = registry.host;
    const smallest = (...digests: string[]) => `${h}/app@${digests.sort()[0]}`;
    // The forms, spelled out. An index whose amd64 child is app:main's manifest: app:main's image.
    expect(real["app-multi"]).toMatchObject({
      image: `${h}/app:main`,
      imageID: smallest(digest("app-main"), digest("app-multi")),
    });
    // The same config under another manifest digest: still app:main's image, the smallest of three digests.
    expect(real["app-rebuilt"]).toMatchObject({
      image: `${h}/app:main`,
      imageID: smallest(digest("app-main"), digest("app-multi"), digest("app-rebuilt")),
    });
    // flip:main, started once flip:multi's index (which sorts first) is on the node: the other tag's digest.
    expect(real["flip-main"]).toMatchObject({
      image: `${h}/flip:main`,
      imageID: `${h}/flip@${digest("flip-main")}`,
    });
    expect(real["flip-main-again"]).toMatchObject({
      image: `${h}/flip:main`,
      imageID: `${h}/flip@${digest("flip-multi")}`,
    });
    expect(real["flip-multi"]!.image).toBe(`${h}/flip:main`);
    // A digest no tag names: the config digest as image.
    const pinned = cases.find((c) => c.pod === "pinned")!;
    expect(real["pinned"]).toMatchObject({ image: pinned.config, imageID: `${h}/app@${pinned.digest}` });
    expect(real["flip-main"]!.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  });

  it("keeps a running container's imageID when a later pull adds a smaller digest to its image", async () => {
    const pod = JSON.parse(await kk(["get", "pod", "real-flip-main", "-n", ns, "-o", "json"]));
    expect(pod.status.containerStatuses[0].imageID).toBe(real["flip-main"]!.imageID);
    expect(real["flip-main"]!.imageID).not.toBe(real["flip-main-again"]!.imageID);
  });
});

describe("pulls on the real node", () => {
  it("pulls from an htpasswd registry with the pod's pull secret, and not without it", async () => {
    const user = { user: "puller", password: "real-node-secret" };
    const privateRegistry = await startRegistry({ htpasswd: user });
    try {
      const pusher = new ImagePusher(privateRegistry.host, node.bin, user);
      const pushed = await pusher.image("private/app", "private v1", { tag: "v1" });
      const ref = pusher.ref("private/app", "v1");
      await apply(
        dockerConfigSecret("pull", ns, {
          [privateRegistry.host]: { username: user.user, password: user.password },
        }),
      );
      const onRealNode = { nodeSelector: { "kubernetes.io/hostname": realNode } };
      await apply(
        barePod("private-with", ns, { image: ref, pullSecrets: ["pull"], ...onRealNode }),
        // Always: a pull, not the image the other pod's pull left on the node.
        barePod("private-without", ns, { image: ref, pullPolicy: "Always", ...onRealNode }),
      );
      expect(await running("private-with")).toMatchObject({
        image: ref,
        imageID: `${privateRegistry.host}/private/app@${pushed.digest}`,
      });
      const waiting = await until("private-without to fail its pull", async () => {
        const pod = JSON.parse(await kk(["get", "pod", "private-without", "-n", ns, "-o", "json"]));
        const reason = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        return reason === "ErrImagePull" || reason === "ImagePullBackOff" ? reason : undefined;
      });
      expect(waiting).toMatch(/ErrImagePull|ImagePullBackOff/);
      const logs = await kubectl(["logs", "private-with", "-n", ns]);
      expect(logs.stdout.trim()).toBe("content: private v1");
    } finally {
      await kubectl(["delete", "pod", "private-with", "private-without", "-n", ns, "--wait=true"]);
      await privateRegistry.stop();
    }
  });
});

describe("the simulator's containerd mode", () => {
  it("reports the same image and imageID as the real node for the same pods in the same order", async () => {
    const simulated = await runCases(cases, simNode, "sim");
    expect(formsOf(simulated)).toEqual(formsOf(real));
    expect(simulated["flip-main"]!.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  });
});
