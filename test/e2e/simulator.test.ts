/**
 * The node simulator against the real control plane and a real registry: Nodes the controllers accept,
 * imageID in each runtime's form (multi-arch included), pull failures, Job completion, graceful deletion.
 * Then the plugin reads those pods: this is where runtime forms meet the product's parser for real.
 */
import { describe, expect, it } from "vitest";
import { type Pod, runtimeLabel } from "../simulator/index.js";
import { apply, kk, kubectl, type PlanDoc, planJson, plugin, until, useCluster } from "../support/e2e.js";
import { docker, pushImage, pushIndex } from "../support/images.js";
import { anonymous } from "../support/registry/distribution.js";
import { barePod, job } from "../support/workloads.js";

const ns = "e2e-sim";
const cluster = useCluster({
  nodes: [
    { name: "sim-containerd", runtime: "containerd", arch: "amd64" },
    { name: "sim-crio", runtime: "cri-o", arch: "amd64" },
    { name: "sim-crio-arm", runtime: "cri-o", arch: "arm64" },
    { name: "sim-docker", runtime: "docker", arch: "amd64" },
  ],
  timings: { leaseRenewMs: 1000 },
  registries: [anonymous],
  namespaces: [ns],
});

const onNode = (node: string) => ({ nodeSelector: { "kubernetes.io/hostname": node } });
const podJson = async (name: string): Promise<Pod> =>
  JSON.parse(await kk(["get", "pod", name, "-n", ns, "-o", "json"]));

describe("nodes", () => {
  it("registers Ready, untainted nodes with runtime, arch and a renewed Lease", async () => {
    const nodes = JSON.parse(await kk(["get", "nodes", "-l", runtimeLabel, "-o", "json"])).items as {
      metadata: { name: string };
      spec: { taints?: unknown[] };
      status: {
        nodeInfo: { containerRuntimeVersion: string; architecture: string };
        conditions: { type: string; status: string }[];
      };
    }[];
    const summary = Object.fromEntries(
      nodes.map((n) => [
        n.metadata.name,
        `${n.status.nodeInfo.containerRuntimeVersion.split("://")[0]}/${n.status.nodeInfo.architecture}/${
          n.status.conditions.find((c) => c.type === "Ready")?.status
        }/${n.spec.taints?.length ?? 0}`,
      ]),
    );
    expect(summary).toEqual({
      "sim-containerd": "containerd/amd64/True/0",
      "sim-crio": "cri-o/amd64/True/0",
      "sim-crio-arm": "cri-o/arm64/True/0",
      "sim-docker": "docker/amd64/True/0",
    });
    const renewTime = async () =>
      JSON.parse(await kk(["get", "lease", "sim-docker", "-n", "kube-node-lease", "-o", "json"])).spec
        .renewTime;
    const first = await renewTime();
    await until(
      "the lease to be renewed",
      async () => ((await renewTime()) !== first ? true : undefined),
      10_000,
    );
  });
});

describe("pods", () => {
  let multi: { index: string; amd64: string; arm64: string };

  it("each runtime reports imageID, image and containerID in its own form; an index resolves per arch", async () => {
    const image = `${cluster.registry.host}/multi:latest`;
    multi = await pushIndex(image, { amd64: "sim multi amd64 v1", arm64: "sim multi arm64 v1" });
    const init = `${cluster.registry.host}/init:1.0`;
    const initDigest = await pushImage(init, "sim init 1.0");
    for (const node of ["sim-containerd", "sim-crio", "sim-crio-arm", "sim-docker"]) {
      await apply(barePod(`on-${node}`, ns, { image, initImage: init, ...onNode(node) }));
    }
    await cluster.sim.waitForPods({ namespace: ns, count: 4 });

    const forms = async (name: string) => {
      const pod = await podJson(name);
      const [app] = pod.status!.containerStatuses!;
      const [initStatus] = pod.status!.initContainerStatuses!;
      return {
        node: pod.spec.nodeName,
        imageID: app!.imageID,
        image: app!.image,
        scheme: app!.containerID!.split("://")[0],
        init: `${initStatus!.imageID} ${Object.keys(initStatus!.state)[0]}`,
      };
    };
    const h = cluster.registry.host;
    expect(await forms("on-sim-containerd")).toEqual({
      node: "sim-containerd",
      imageID: `${h}/multi@${multi.index}`,
      image: `${h}/multi:latest`,
      scheme: "containerd",
      init: `${h}/init@${initDigest} terminated`,
    });
    expect(await forms("on-sim-crio")).toMatchObject({
      imageID: `${h}/multi@${multi.amd64}`,
      scheme: "cri-o",
    });
    expect(await forms("on-sim-crio-arm")).toMatchObject({
      imageID: `${h}/multi@${multi.arm64}`,
      scheme: "cri-o",
    });
    expect(await forms("on-sim-docker")).toMatchObject({
      imageID: `docker-pullable://${h}/multi@${multi.index}`,
      image: `${h}/multi:latest`,
      scheme: "docker",
      init: `docker-pullable://${h}/init@${initDigest} terminated`,
    });
    const pod = await podJson("on-sim-containerd");
    expect(
      pod.status?.conditions
        ?.filter((c) => c.status === "True")
        .map((c) => c.type)
        .sort(),
    ).toEqual(["ContainersReady", "Initialized", "PodReadyToStartContainers", "PodScheduled", "Ready"]);
    expect(cluster.sim.errors).toEqual([]);
  });

  it.each(["docker", "registry"])(
    "the plugin (--resolver %s) reads all four forms as current",
    async (resolver) => {
      const doc = await planJson(["-n", ns, "--resolver", resolver]);
      const verdicts = doc.pods.map(
        (p) => `${p.name} ${p.containers.map((c) => `${c.name}:${c.status}`).join(",")}`,
      );
      expect(verdicts.sort()).toEqual([
        "on-sim-containerd init:current,app:current",
        "on-sim-crio init:current,app:current",
        "on-sim-crio-arm init:current,app:current",
        "on-sim-docker init:current,app:current",
      ]);
    },
  );

  it("after the index moves for amd64 only, each runtime's pod is judged by what it runs", async () => {
    await pushIndex(`${cluster.registry.host}/multi:latest`, {
      amd64: "sim multi amd64 v2",
      arm64: "sim multi arm64 v1",
    });
    const doc = await planJson(["-n", ns, "--resolver", "docker"]);
    const app = Object.fromEntries(
      doc.pods.map((p) => [p.name, p.containers.find((c) => c.name === "app")!]),
    );
    // CRI-O shows the platform manifest: the amd64 one moved, the arm64 one is still in the new index.
    expect(app["on-sim-crio"]?.status).toBe("stale");
    expect(app["on-sim-crio-arm"]?.status).toBe("current");
    // containerd and cri-dockerd show the old index digest; half its platforms moved, so the node's platform
    // decides (read from its Node): both nodes are amd64, whose image moved.
    expect(app["on-sim-containerd"]?.status).toBe("stale");
    expect(app["on-sim-docker"]?.status).toBe("stale");
    // Bare pods: stale, but nothing would bring them back.
    expect(doc.pods.find((p) => p.name === "on-sim-crio")).toMatchObject({
      action: "skip",
      reason: "no controller owns it: deleting it would lose it for good",
    });
  });

  it("…and without the right to read Nodes, those pods stay unknown, with a warning that says why", async () => {
    // "view" in the namespace only: pods, ReplicaSets, Jobs, ServiceAccounts, but no cluster-scoped Nodes.
    await kk(["create", "rolebinding", "viewer", "--clusterrole=view", "--user=viewer", "-n", ns]);
    const result = await plugin(["plan", "-o", "json", "-n", ns, "--resolver", "docker", "--as", "viewer"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /nodes .* is forbidden.*without the nodes' platforms, pods of a multi-arch tag that moved for some platforms only stay unknown/,
    );
    const app = Object.fromEntries(
      (JSON.parse(result.stdout) as PlanDoc).pods.map((p) => [
        p.name,
        p.containers.find((c) => c.name === "app")!,
      ]),
    );
    expect(app["on-sim-containerd"]).toMatchObject({
      status: "unknown",
      reason: "the tag moved for some platforms only, and the node's platform is not known",
    });
    expect(app["on-sim-docker"]?.status).toBe("unknown");
    // CRI-O needs no Node: its platform digests say it all.
    expect(app["on-sim-crio"]?.status).toBe("stale");
    expect(app["on-sim-crio-arm"]?.status).toBe("current");
  });

  it("a platform added to a tag's index leaves the others current; containerd may keep the older digest", async () => {
    const image = `${cluster.registry.host}/trap:latest`;
    const first = await pushIndex(image, { amd64: "sim trap amd64", arm64: "sim trap arm64" });
    const trapPods = () =>
      ["sim-containerd", "sim-docker"].map((node) =>
        barePod(`trap-${node}`, ns, { image, ...onNode(node) }, { trap: "yes" }),
      );
    await apply(...trapPods());
    await cluster.sim.waitForPods({ namespace: ns, selector: "trap=yes", count: 2, digest: first.index });
    // A platform is added; amd64 and arm64 keep their manifests. New index bytes, a new index digest.
    await pushImage(`${image}-s390x`, "sim trap s390x", { platform: "linux/s390x" });
    await docker(["manifest", "rm", image]).catch(() => "");
    await docker([
      "manifest",
      "create",
      "--insecure",
      image,
      `${image}-amd64`,
      `${image}-arm64`,
      `${image}-s390x`,
    ]);
    await docker(["manifest", "annotate", image, `${image}-arm64`, "--os", "linux", "--arch", "arm64"]);
    await docker(["manifest", "annotate", image, `${image}-s390x`, "--os", "linux", "--arch", "s390x"]);
    const second = /(sha256:[a-f0-9]{64})/.exec(
      await docker(["manifest", "push", "--purge", "--insecure", image]),
    )![1]!;
    expect(second).not.toBe(first.index);

    for (const resolver of ["docker", "registry"]) {
      const doc = await planJson(["-n", ns, "-l", "trap=yes", "--resolver", resolver]);
      expect(doc.pods.map((p) => `${p.name} ${p.containers[0]!.status}`).sort(), resolver).toEqual([
        "trap-sim-containerd current",
        "trap-sim-docker current",
      ]);
    }
    // Were the pods restarted anyway, the nodes would pull the new index, find the image they have, and
    // report the lexically first of its two repo digests: restarting may never change imageID.
    await kk(["delete", "pod", "-n", ns, "-l", "trap=yes"]);
    await apply(...trapPods());
    const lower = [first.index, second].sort()[0]!;
    const pods = await cluster.sim.waitForPods({ namespace: ns, selector: "trap=yes", count: 2 });
    expect(pods.map((p) => p.status!.containerStatuses![0]!.imageID.split("@")[1])).toEqual([lower, lower]);
    expect(cluster.sim.eventsOf(ns, "trap-").filter((e) => e.what === "pulled")).toHaveLength(4);
  });

  it("a missing tag is ErrImagePull, then ImagePullBackOff, with no imageID; Never without the image is ErrImageNeverPull", async () => {
    await apply(
      barePod("missing", ns, {
        image: `${cluster.registry.host}/nothing-here:1.0`,
        ...onNode("sim-containerd"),
      }),
      barePod("never", ns, {
        image: `${cluster.registry.host}/never:1.0`,
        pullPolicy: "Never",
        ...onNode("sim-crio"),
      }),
    );
    const waiting = async (name: string) => {
      const status = (await podJson(name)).status?.containerStatuses?.[0];
      const reason = status?.state["waiting"]?.["reason"] as string | undefined;
      return reason
        ? { reason, imageID: status!.imageID, message: status!.state["waiting"]!["message"] }
        : undefined;
    };
    const backoff = await until("ImagePullBackOff", async () => {
      const w = await waiting("missing");
      return w?.reason === "ImagePullBackOff" ? w : undefined;
    });
    expect(backoff).toMatchObject({ imageID: "", message: expect.stringContaining("not found") });
    // The first failure is ErrImagePull, the retries after it ImagePullBackOff (as the kubelet reports them).
    const failures = cluster.sim.eventsOf(ns, "missing").filter((e) => e.what === "pull-failed");
    expect(failures.map((e) => e.detail!.split(":")[0])).toEqual([
      "ErrImagePull",
      ...failures.slice(1).map(() => "ImagePullBackOff"),
    ]);
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(await until("ErrImageNeverPull", () => waiting("never"))).toMatchObject({
      reason: "ErrImageNeverPull",
      imageID: "",
    });
    expect((await podJson("missing")).status?.phase).toBe("Pending");
    const doc = await planJson(["-n", ns, "-l", "app in (missing,never)"]);
    expect(
      doc.pods.map((p) => `${p.name} ${p.containers[0]!.status} ${p.containers[0]!.reason}`).sort(),
    ).toEqual(["missing unknown not started yet (no imageID)", "never unknown not started yet (no imageID)"]);
  });

  it("a Job's pod runs to completion and the Job controller marks the Job Complete", async () => {
    const image = `${cluster.registry.host}/batch:1.0`;
    await pushImage(image, "sim batch 1.0");
    await apply(job("once", ns, { image, ...onNode("sim-docker") }));
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=once", count: 1, phase: "Succeeded" });
    await until("Job Complete", async () => {
      const status = JSON.parse(await kk(["get", "job", "once", "-n", ns, "-o", "json"])).status;
      return status.conditions?.some(
        (c: { type: string; status: string }) => c.type === "Complete" && c.status === "True",
      )
        ? true
        : undefined;
    });
    const [pod] = JSON.parse(await kk(["get", "pods", "-n", ns, "-l", "app=once", "-o", "json"]))
      .items as Pod[];
    expect(pod!.status?.containerStatuses?.[0]).toMatchObject({
      imageID: expect.stringMatching(/^docker-pullable:\/\//),
      state: { terminated: { exitCode: 0, reason: "Completed" } },
    });
  });

  it("a deleted pod is finished after its (capped) grace period with a grace-0 delete", async () => {
    const image = `${cluster.registry.host}/graceful:1.0`;
    await pushImage(image, "sim graceful 1.0");
    await apply(barePod("graceful", ns, { image, terminationGracePeriodSeconds: 30, ...onNode("sim-crio") }));
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=graceful", count: 1 });
    const t0 = Date.now();
    await kk(["delete", "pod", "graceful", "-n", ns, "--wait=false"]);
    const terminating = await podJson("graceful");
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    await until("the pod to be gone", async () =>
      (await kubectl(["get", "pod", "graceful", "-n", ns])).code !== 0 ? true : undefined,
    );
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    // Capped: the pod's own 30 s grace period was not waited out.
    expect(elapsed).toBeLessThan(30_000);
    const seen = cluster.sim.eventsOf(ns, "graceful").map((e) => e.what);
    expect(seen.slice(0, 4)).toEqual(["seen", "pulled", "running", "terminating"]);
    // The watch may report the pod gone before the DELETE call returns.
    expect(seen.slice(4).sort()).toEqual(["deleted", "gone"]);
    expect(cluster.sim.errors).toEqual([]);
  });
});
