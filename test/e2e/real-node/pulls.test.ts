/**
 * How the real kubelet pulls decides what a restart brings, on the real node:
 * - `imagePullPolicy: IfNotPresent` with the old image really cached: the replacement starts it again
 *   (the kubelet says "already present on machine"); apply reports the replacement back on the old digest,
 *   names the cause and exits 1, under a rollout and one pod at a time; the rollout's pod is left by the
 *   next run (it was made for the new digest); once an `Always` pod has pulled the tag on the node, a
 *   restart brings the new image and the next plan shows nothing stale.
 * - A pull secret that the kubelet itself uses, from an htpasswd registry: plan reads the tag with the pod's
 *   secret (not the user's credentials), apply restarts the pod, the kubelet pulls with the secret.
 * - A running digest the registry no longer has, of the same image as the tag's: it cannot be proven the
 *   same, so it is stale; the replacement (Always) comes back on it, and apply says why.
 */
import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { apply, kk, planJson, plugin, settledWorkloads } from "../../support/e2e.js";
import { digestOf, settledPods, useRealNode } from "../../support/real-node.js";
import { deployment, dockerConfigSecret } from "../../support/workloads.js";
import { ImagePusher, type Pushed } from "../../testbed/node-images.js";

const ns = "e2e-rn-pulls";
const user = { user: "puller", password: "real-node-pulls" };
const lane = useRealNode({ name: "rn-pulls", namespaces: [ns], registries: [{ htpasswd: user }] });
const terminationGracePeriodSeconds = 1;

/** The node's own record of an image reference (crictl): its tags and repository digests. */
async function nodeImages(): Promise<{ repoTags: string[]; repoDigests: string[] }[]> {
  const out = execFileSync(
    `${lane.node.bin}/crictl`,
    ["--config", lane.node.crictlConfig, "images", "-o", "json"],
    {
      encoding: "utf8",
    },
  );
  return (JSON.parse(out) as { images: { repoTags: string[]; repoDigests: string[] }[] }).images;
}

/** The kubelet's events for a pod: `reason: message`. */
async function eventsOf(pod: string): Promise<string[]> {
  const list = JSON.parse(
    await kk(["get", "events", "-n", ns, "--field-selector", `involvedObject.name=${pod}`, "-o", "json"]),
  ) as { items: { reason: string; message: string }[] };
  return list.items.map((e) => `${e.reason}: ${e.message}`);
}

describe("imagePullPolicy IfNotPresent, the old image cached on the node", () => {
  const image = () => lane.ref("trap", "stable");
  let v1: Pushed;
  let v2: Pushed;

  beforeAll(async () => {
    v1 = await lane.images.image("trap", "trap v1", { tag: "stable" });
    const o = (pullPolicy: "IfNotPresent" | "Always") => ({
      image: image(),
      pullPolicy,
      terminationGracePeriodSeconds,
      ...lane.onNode,
    });
    await apply(
      deployment("cached", ns, 1, o("IfNotPresent")),
      deployment("pair", ns, 2, o("IfNotPresent")),
      deployment("always", ns, 1, o("Always")),
    );
    await settledPods(ns, "app in (cached,pair,always)", 4, (p) => digestOf(p.imageID) === v1.digest);
    await settledWorkloads(ns, "app in (cached,pair,always)");
    v2 = await lane.images.image("trap", "trap v2", { tag: "stable" });
  });

  it("plan: stale, with the warning that the node may start its cached old image", async () => {
    const doc = await planJson(["-n", ns, "-l", "app in (cached,pair,always)", "--resolver", "registry"]);
    expect(doc.pods).toHaveLength(4);
    for (const pod of doc.pods) {
      expect(pod.containers[0], pod.name).toMatchObject({
        status: "stale",
        runningDigest: v1.digest,
        latestDigest: v2.digest,
      });
      expect(pod.warnings, pod.name).toEqual(
        pod.name.startsWith("always-")
          ? []
          : ["imagePullPolicy IfNotPresent on container app: the node may start its cached old image again"],
      );
    }
    // The node still has the tag on v1: what IfNotPresent will start.
    const trap = (await nodeImages()).find((i) => i.repoTags.includes(image()));
    expect(trap?.repoDigests).toEqual([lane.ref("trap", v1.digest)]);
  });

  it("apply (a rollout): the replacement starts the cached v1; apply names the cause and exits 1", async () => {
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=cached", "--resolver", "registry"]);
    console.error(`apply, IfNotPresent:\n${result.stdout}${result.stderr}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /deployment\.apps e2e-rn-pulls\/cached restarted \(rollout\), but: pod cached-\S+ runs the old digest \(container app: the node started its cached image \(imagePullPolicy IfNotPresent\)\)/,
    );
    const [pod] = await settledPods(ns, "app=cached", 1);
    expect(pod!.imageID).toBe(lane.ref("trap", v1.digest));
    expect(await eventsOf(pod!.name)).toContainEqual(
      expect.stringMatching(/^Pulled: Container image ".*trap:stable" already present on machine/),
    );
  });

  it("the next run leaves it: that rollout was for v2 and its pod came back on v1; nothing restarted, exit 0", async () => {
    const [before] = await settledPods(ns, "app=cached", 1);
    const doc = await planJson(["-n", ns, "-l", "app=cached", "--resolver", "registry"]);
    expect(doc.pods.map((p) => `${p.containers[0]!.status} ${p.action}: ${p.reason}`)).toEqual([
      `stale skip: already restarted for ${v2.digest.slice(7, 19)} and back on the old digest: the node started its cached image (imagePullPolicy IfNotPresent on container app); left until the tag moves`,
    ]);
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=cached", "--resolver", "registry"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain("Nothing to restart.");
    const [after] = await settledPods(ns, "app=cached", 1);
    expect(after!.uid).toBe(before!.uid);
  });

  it("apply --strategy delete: the first replacement comes back on v1, so the second replica is spared", async () => {
    const before = await settledPods(ns, "app=pair", 2);
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=pair", "--strategy", "delete"]);
    console.error(`apply --strategy delete, IfNotPresent:\n${result.stdout}${result.stderr}`);
    expect(result.code).toBe(1);
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/pair-`));
    const why =
      "the replacement of pair-\\S+ runs the old digest again \\(container app: the node started its cached image \\(imagePullPolicy IfNotPresent\\)\\)$";
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ deleted$/);
    expect(lines[1]).toMatch(new RegExp(` deleted, but: ${why}`));
    expect(lines[2]).toMatch(new RegExp(` not deleted: ${why}`));
    const after = await settledPods(ns, "app=pair", 2, (p) => digestOf(p.imageID) === v1.digest);
    expect(after.filter((p) => before.some((b) => b.uid === p.uid))).toHaveLength(1);
  });

  it("an Always pod pulls v2 and moves the node's tag; then IfNotPresent brings v2 and the next plan is clean", async () => {
    const always = await plugin(["apply", "--yes", "-n", ns, "-l", "app=always"]);
    expect(always.code, always.stdout + always.stderr).toBe(0);
    await settledPods(ns, "app=always", 1, (p) => digestOf(p.imageID) === v2.digest);
    const trap = (await nodeImages()).find((i) => i.repoTags.includes(image()));
    expect(trap?.repoDigests).toEqual([lane.ref("trap", v2.digest)]);

    // pair and cached are both still left, though a rollout would now help: pair's ReplicaSet's Event
    // remembers its deletion that came back on v1 (auto reads it before it would roll pair out), cached's
    // template its rollout; nothing tells the tool the node moved. Deleted by hand, they come back on v2.
    const again = await plugin(["apply", "--yes", "-n", ns, "-l", "app in (cached,pair)"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stderr).toContain("Nothing to restart.");
    const left = await settledPods(ns, "app in (cached,pair)", 3, (p) => digestOf(p.imageID) === v1.digest);
    await kk(["delete", "pod", ...left.map((p) => p.name), "-n", ns, "--wait=false"]);
    await settledPods(ns, "app in (cached,pair,always)", 4, (p) => digestOf(p.imageID) === v2.digest);
    const doc = await planJson(["-n", ns, "-l", "app in (cached,pair,always)", "--resolver", "registry"]);
    expect(doc.pods.map((p) => `${p.containers[0]!.status} ${p.action}`)).toEqual(
      Array(4).fill("current none"),
    );
  });
});

describe("a pull secret the kubelet uses, from an htpasswd registry", () => {
  let pusher: ImagePusher;
  let v1: Pushed;

  beforeAll(async () => {
    const host = lane.cluster.registries[1]!.host;
    pusher = new ImagePusher(host, lane.node.bin, user);
    v1 = await pusher.image("private/app", "private v1", { tag: "v1" });
    await apply(
      dockerConfigSecret("pull", ns, { [host]: { username: user.user, password: user.password } }),
      deployment("private", ns, 2, {
        image: pusher.ref("private/app", "v1"),
        pullPolicy: "Always",
        pullSecrets: ["pull"],
        terminationGracePeriodSeconds,
        ...lane.onNode,
      }),
    );
    await settledPods(ns, "app=private", 2, (p) => digestOf(p.imageID) === v1.digest);
    await settledWorkloads(ns, "app=private");
  });

  it("the tag moves: plan (with the pod's secret only) is stale; apply restarts; the kubelet pulls v2 with the secret", async () => {
    const v2 = await pusher.image("private/app", "private v2", { tag: "v1" });
    for (const resolver of ["registry", "docker"]) {
      const doc = await planJson([
        "-n",
        ns,
        "-l",
        "app=private",
        "--resolver",
        resolver,
        "--no-local-credentials",
      ]);
      expect(
        doc.pods.map((p) => `${p.containers[0]!.status} ${p.containers[0]!.reason}`),
        resolver,
      ).toEqual(["stale ", "stale "]);
    }
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=private", "--no-local-credentials"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`deployment.apps ${ns}/private restarted (rollout): 2 pods replaced\n`);
    const pods = await settledPods(ns, "app=private", 2, (p) => digestOf(p.imageID) === v2.digest);
    expect(await eventsOf(pods[0]!.name)).toContainEqual(
      expect.stringMatching(/^Pulled: Successfully pulled image/),
    );
    const doc = await planJson([
      "-n",
      ns,
      "-l",
      "app=private",
      "--resolver",
      "registry",
      "--no-local-credentials",
    ]);
    expect(doc.pods.map((p) => `${p.containers[0]!.status} ${p.action}`)).toEqual([
      "current none",
      "current none",
    ]);
    for (const text of [result.stdout, result.stderr]) expect(text).not.toContain(user.password);
  });
});

describe("a running digest the registry no longer has, of the same image as the tag's", () => {
  it("is stale (nothing proves it the same); the replacement (Always) comes back on it; apply says why", async () => {
    const first = await lane.images.image("gone", "gone v1", { tag: "live" });
    // The same image under a digest that sorts after the first: containerd keeps reporting the first.
    let again: Pushed;
    for (let n = 0; ; n++) {
      again = await lane.images.image("gone", "gone v1", { annotations: { "org.example.n": String(n) } });
      if (again.digest > first.digest) break;
    }
    await apply(
      deployment("gone", ns, 1, {
        image: lane.ref("gone", "live"),
        pullPolicy: "Always",
        terminationGracePeriodSeconds,
        ...lane.onNode,
      }),
    );
    await settledPods(ns, "app=gone", 1, (p) => digestOf(p.imageID) === first.digest);
    await lane.images.tag(again, "live");
    const same = await planJson(["-n", ns, "-l", "app=gone", "--resolver", "registry"]);
    expect(same.pods[0]!.containers[0]).toMatchObject({
      status: "current",
      reason: `the same image (config ${first.config}) under another digest`,
    });
    // A retention policy deletes the untagged manifest the node reports.
    await lane.images.remove(first);
    const gone = await planJson(["-n", ns, "-l", "app=gone", "--resolver", "registry"]);
    console.error(`running digest gone from the registry: ${JSON.stringify(gone.pods[0]!.containers[0])}`);
    expect(gone.pods[0]!.containers[0]).toMatchObject({ status: "stale", runningDigest: first.digest });
    expect(gone.pods[0]!.containers[0]!.reason).toMatch(
      /^the running manifest could not be read \(.*404.*\), so its digest alone decides$/,
    );

    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=gone", "--resolver", "registry"]);
    console.error(`apply, running digest gone:\n${result.stdout}${result.stderr}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /deployment\.apps e2e-rn-pulls\/gone restarted \(rollout\), but: pod gone-\S+ runs the old digest \(container app: it was pulled \(imagePullPolicy Always\), so the runtime reports that digest for the tag's image: another digest of the same image, or a registry mirror serving the old one\)/,
    );
    const [pod] = await settledPods(ns, "app=gone", 1);
    expect(pod!.imageID).toBe(lane.ref("gone", first.digest));
    // Still stale, since nothing on the registry's side can prove it the same image any more; but the
    // rollout made this pod for the tag's digest, so the next runs leave it rather than roll it each time.
    const next = await planJson(["-n", ns, "-l", "app=gone", "--resolver", "registry"]);
    expect(next.pods[0]!.containers[0]).toMatchObject({ status: "stale", runningDigest: first.digest });
    expect(next.pods[0]).toMatchObject({
      action: "skip",
      reason: `already restarted for ${again.digest.slice(7, 19)} and back on the old digest though pulled (container app); left until the tag moves`,
    });
  });
});
