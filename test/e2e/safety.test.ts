/**
 * When the new image cannot run, apply must not take the workload down: the tag moves to an index with
 * no linux/amd64 image, the first replacement cannot be pulled on the amd64 nodes, and apply stops after
 * its wait timeout with the other replicas untouched and still serving the old digest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../simulator/index.js";
import { docker, pushImage } from "../support/images.js";
import { type Registry, startRegistry } from "../support/registry.js";
import {
  apply,
  createNamespace,
  deleteNamespaces,
  deployment,
  kk,
  planJson,
  plugin,
  testbed,
} from "./support.js";

const ns = "e2e-safety";
let registry: Registry;
let sim: Simulator;
let image: string;
let v1: string;
let armOnly: string;

beforeAll(async () => {
  registry = await startRegistry();
  sim = await startSimulator({
    kubeconfig: testbed().kubeconfig,
    nodes: [
      { name: "safe-a", runtime: "containerd" },
      { name: "safe-b", runtime: "cri-o" },
    ],
  });
  await createNamespace(ns);
  image = `${registry.host}/arch:latest`;
  v1 = await pushImage(image, "safety v1 amd64");
  await apply(deployment("web", ns, 3, { image }));
  await sim.waitForPods({ namespace: ns, selector: "app=web", count: 3, digest: v1 });
  armOnly = await pushArm64OnlyIndex(image);
});

afterAll(async () => {
  await deleteNamespaces([ns]);
  await sim?.stop();
  await registry?.stop();
});

/** Moves `reference` to an index whose only image is linux/arm64; returns the index digest. */
async function pushArm64OnlyIndex(reference: string): Promise<string> {
  const arm = `${reference}-arm64`;
  await pushImage(arm, "safety v2 arm64 only", { platform: "linux/arm64" });
  await docker(["manifest", "rm", reference]).catch(() => "");
  await docker(["manifest", "create", "--insecure", reference, arm]);
  await docker(["manifest", "annotate", reference, arm, "--os", "linux", "--arch", "arm64"]);
  const out = await docker(["manifest", "push", "--purge", "--insecure", reference]);
  const digest = /(sha256:[a-f0-9]{64})/.exec(out)?.[1];
  if (!digest) throw new Error(`docker manifest push printed no digest:\n${out}`);
  return digest;
}

describe("a tag moved to an image the nodes cannot run", () => {
  it("--resolver registry sees the pods stale (the index digest changed)", async () => {
    const doc = await planJson(["-n", ns, "--resolver", "registry"]);
    expect(doc.pods.map((p) => `${p.action} ${p.containers[0]!.latestDigest}`)).toEqual([
      `delete ${armOnly}`,
      `delete ${armOnly}`,
      `delete ${armOnly}`,
    ]);
  });

  it("--resolver docker cannot pull it on this amd64 engine: unknown, nothing to delete", async () => {
    const doc = await planJson(["-n", ns, "--resolver", "docker"]);
    for (const pod of doc.pods) {
      expect(pod.action).toBe("none");
      expect(pod.containers[0]).toMatchObject({
        status: "unknown",
        reason: expect.stringMatching(/pull failed/),
      });
    }
  });

  it("apply deletes one pod, its replacement cannot pull, and apply stops at the wait timeout", async () => {
    const started = Date.now();
    const result = await plugin([
      "apply",
      "--yes",
      "-n",
      ns,
      "--resolver",
      "registry",
      "--wait-timeout",
      "6s",
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(6000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: some planned pods were not deleted; see above");
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    expect(lines.filter((l) => l.endsWith(" deleted"))).toHaveLength(1);
    const refused = lines.filter((l) => l.includes("not deleted"));
    expect(refused).toHaveLength(2);
    for (const line of refused) expect(line).toMatch(/did not have 3 ready pods within the wait timeout$/);
    expect(result.stdout).toContain("1 deleted, 2 not started (of 3 planned)");

    // Two replicas still serve v1; the third is stuck pulling, as on a real node.
    const pods = JSON.parse(await kk(["get", "pods", "-n", ns, "-l", "app=web", "-o", "json"])).items as {
      status: {
        phase: string;
        containerStatuses?: { imageID: string; state: Record<string, { reason?: string }> }[];
      };
    }[];
    const states = pods.map((p) => {
      const s = p.status.containerStatuses?.[0];
      return s?.imageID
        ? `Running ${s.imageID.split("@")[1]}`
        : `${p.status.phase} ${s?.state["waiting"]?.reason}`;
    });
    expect(states.filter((s) => s === `Running ${v1}`)).toHaveLength(2);
    expect(states.filter((s) => /^Pending (ErrImagePull|ImagePullBackOff)$/.test(s))).toHaveLength(1);
    expect(states).toHaveLength(3);
    const failure = sim.eventsOf(ns).find((e) => e.what === "pull-failed");
    expect(failure?.detail).toContain("no manifest for linux/amd64");
    expect(sim.errors).toEqual([]);
  });
});
