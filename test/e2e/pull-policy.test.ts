/**
 * imagePullPolicy on a mutable tag, with the simulated kubelet's per-node image cache: IfNotPresent starts
 * a replacement on the node's cached (old) digest, so restarting the pod changes nothing; the tool warns
 * before, and says so after — whether a rollout replaced the pods or they went one at a time (where the
 * other replicas are then spared). The next runs leave what was restarted in vain until the tag moves: a
 * rollout's pods by the template's record, a controller whose evicted pod came back by its Event's, and by
 * the record ConfigMap once the Events are gone; after an eviction not checked (--no-wait), the pods made
 * since it, by the Event's unchecked record. Always pulls again, and moves the node's tag, after which
 * IfNotPresent starts the new digest too.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Pod } from "../simulator/index.js";
import { apply, kk, planJson, plugin, settledWorkloads, useCluster } from "../support/e2e.js";
import { pushImage } from "../support/images.js";
import { anonymous } from "../support/registry/distribution.js";
import { deployment } from "../support/workloads.js";

const ns = "e2e-pull-policy";
const node = "pp-containerd";
const cluster = useCluster({
  nodes: [
    { name: node, runtime: "containerd" },
    { name: "pp-crio", runtime: "cri-o" },
  ],
  registries: [anonymous],
  namespaces: [ns],
});
let image: string;
let v1: string;
let v2: string;

beforeAll(async () => {
  image = `${cluster.registry.host}/pinned-by-cache:stable`;
  v1 = await pushImage(image, "pull policy v1");
  const onNode = { nodeSelector: { "kubernetes.io/hostname": node } };
  await apply(
    deployment("cached", ns, 1, { image, pullPolicy: "IfNotPresent", ...onNode }),
    deployment("always", ns, 1, { image, pullPolicy: "Always", ...onNode }),
    deployment("pair", ns, 2, { image, pullPolicy: "IfNotPresent", ...onNode }),
    deployment("unchecked", ns, 2, { image, pullPolicy: "IfNotPresent", ...onNode }),
  );
  await cluster.sim.waitForPods({ namespace: ns, count: 6, digest: v1 });
  await settledWorkloads(ns);
  v2 = await pushImage(image, "pull policy v2");
});

/** The installation whose record ConfigMap keeps the evictions' record, as its CronJob's runs would. */
const recordName = "autoupdate-record";
const withRecord = { KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: `${ns}/${recordName}` };

const podsOf = (app: string) => cluster.sim.waitForPods({ namespace: ns, selector: `app=${app}`, count: 1 });
const pairOnV1 = () => cluster.sim.waitForPods({ namespace: ns, selector: "app=pair", count: 2, digest: v1 });

/** apply under each strategy restarts none of pair's pods: it says so, exits 0, and the same pods run on. */
async function pairLeftAlone(...strategies: string[]) {
  const before = await pairOnV1();
  for (const strategy of strategies) {
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=pair", "--strategy", strategy]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr, strategy).toContain("Nothing to restart.");
  }
  const uids = (pods: Pod[]) => pods.map((p) => p.metadata.uid).sort();
  expect(uids(await pairOnV1())).toEqual(uids(before));
}
const digestOf = (pod: Pod) => pod.status!.containerStatuses![0]!.imageID.split("@")[1];

describe("imagePullPolicy IfNotPresent on a mutable tag", () => {
  it("plan marks the pod stale and warns that the node may start its cached old image", async () => {
    const [pod] = await podsOf("cached");
    const table = await plugin(["plan", "-n", ns, "-l", "app=cached"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stderr).toContain(
      `Warning: pod ${ns}/${pod!.metadata.name}: imagePullPolicy IfNotPresent on container app: the node may start its cached old image again\n`,
    );
    const doc = await planJson(["-n", ns]);
    const byApp = Object.fromEntries(doc.pods.map((p) => [p.name.split("-")[0], p]));
    expect(byApp["cached"]).toMatchObject({
      action: "delete",
      warnings: [
        "imagePullPolicy IfNotPresent on container app: the node may start its cached old image again",
      ],
    });
    // Always: no warning.
    expect(byApp["always"]).toMatchObject({ action: "delete", warnings: [] });
  });

  it("one at a time (--strategy evict), apply stops after the first replacement comes back on the cached v1: the other replica is spared", async () => {
    // As a CronJob's run: with the ServiceAccount and the record ConfigMap install-cron makes, and their
    // rules only.
    const installed = await plugin([
      "install-cron",
      "-n",
      ns,
      "--name",
      recordName,
      "--strategy",
      "evict",
      "--suspend",
    ]);
    expect(installed.code, installed.stderr).toBe(0);
    const before = await pairOnV1();
    const asJob = ["--as", `system:serviceaccount:${ns}:${recordName}`];
    const result = await plugin(
      ["apply", "--yes", "-n", ns, "-l", "app=pair", "--strategy", "evict", ...asJob],
      withRecord,
    );
    expect(result.stderr).not.toMatch(/forbidden|could not/i);
    expect(result.code).toBe(1);
    const lines = result.stdout.split("\n").filter((l) => l.startsWith(`pod ${ns}/`));
    const why =
      "the replacement of pair-\\S+ runs the old digest again \\(container app: the node started its cached image \\(imagePullPolicy IfNotPresent\\)\\)$";
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ evicted$/);
    expect(lines[1]).toMatch(new RegExp(` evicted, but: ${why}`));
    expect(lines[2]).toMatch(new RegExp(`not evicted: ${why}`));
    expect(result.stdout).toContain(
      "1 evicted, 1 not started (of 2 planned); 1 workload not replaced as planned",
    );
    const after = await pairOnV1();
    // One replaced (on v1 again), one untouched.
    expect(after.filter((p) => before.some((b) => b.metadata.uid === p.metadata.uid))).toHaveLength(1);
  });

  it("the next run one at a time leaves both: the ReplicaSet's Warning Event says what the eviction was for", async () => {
    const recorded = JSON.parse(
      await kk([
        "get",
        "events.events.k8s.io",
        "-n",
        ns,
        "--field-selector=reason=ImageUpdateFailed",
        "-o",
        "json",
      ]),
    ).items as { metadata: { annotations?: Record<string, string> }; regarding: { kind: string } }[];
    expect(
      recorded.map((e) => [e.regarding.kind, e.metadata.annotations?.["kubectl-autoupdate/restarted-for"]]),
    ).toEqual([["ReplicaSet", `app=${v1}>${v2}`]]);
    const doc = await planJson(["-n", ns, "-l", "app=pair", "--strategy", "evict"]);
    expect(doc.pods.map((p) => p.action)).toEqual(["skip", "skip"]);
    for (const pod of doc.pods) {
      expect(pod).toMatchObject({ action: "skip" });
      expect(pod.reason).toMatch(
        /^ReplicaSet\/pair-\S+ restarted a pod for [0-9a-f]{12} \d+s ago, which came back on the old digest: the node started its cached image \(imagePullPolicy IfNotPresent on container app\); left until the tag moves$/,
      );
    }
    await pairLeftAlone("evict");
  });

  it("the Events gone (as after the API server's --event-ttl): the record ConfigMap still leaves both", async () => {
    const configMap = JSON.parse(await kk(["get", "configmap", recordName, "-n", ns, "-o", "json"])) as {
      data: Record<string, string>;
    };
    const [pod] = await pairOnV1();
    const replicaSet = pod!.metadata.ownerReferences![0]!;
    expect(Object.keys(configMap.data)).toEqual([`${ns}.${replicaSet.uid}`]);
    expect(JSON.parse(Object.values(configMap.data)[0]!)).toMatchObject({
      kind: "ReplicaSet",
      name: replicaSet.name,
      restarts: [{ restartedFor: `app=${v1}>${v2}` }],
    });
    await kk([
      "delete",
      "events.events.k8s.io",
      "-n",
      ns,
      "--field-selector=reportingController=kubectl-autoupdate",
    ]);
    // Without the record, nothing remembers: both would be evicted again.
    const forgotten = await planJson(["-n", ns, "-l", "app=pair", "--strategy", "evict"]);
    expect(forgotten.pods.map((p) => p.action)).toEqual(["delete", "delete"]);
    const doc = await planJson(["-n", ns, "-l", "app=pair", "--strategy", "evict"], withRecord);
    expect(doc.pods.map((p) => p.action)).toEqual(["skip", "skip"]);
    for (const pod of doc.pods) {
      expect(pod).toMatchObject({ action: "skip" });
      expect(pod.reason).toMatch(
        new RegExp(
          `^ReplicaSet/${replicaSet.name} restarted a pod for [0-9a-f]{12} \\d+s ago, which came back on the old digest: `,
        ),
      );
    }
    // As the CronJob's run, which names the record: both left, nothing restarted.
    const before = await pairOnV1();
    const asJob = ["--as", `system:serviceaccount:${ns}:${recordName}`];
    const result = await plugin(
      ["apply", "--yes", "-n", ns, "-l", "app=pair", "--strategy", "evict", ...asJob],
      withRecord,
    );
    expect(result.stderr).not.toMatch(/forbidden|could not/i);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Nothing to restart.");
    expect((await pairOnV1()).map((p) => p.metadata.uid).sort()).toEqual(
      before.map((p) => p.metadata.uid).sort(),
    );
    // cron-status names the controller its runs hold.
    const status = await plugin(["cron-status", "-n", ns, "--name", recordName]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^Held: +ReplicaSet ${ns}/${replicaSet.name} \\(recorded \\S+ ago\\)$`, "m"),
    );
  });

  it("--no-wait one at a time: both evicted, not checked; each Event says what for and when; both back on the cached v1", async () => {
    const uncheckedOnV1 = () =>
      cluster.sim.waitForPods({ namespace: ns, selector: "app=unchecked", count: 2, digest: v1 });
    const before = await uncheckedOnV1();
    const evict = ["apply", "--yes", "--no-wait", "-n", ns, "-l", "app=unchecked", "--strategy", "evict"];
    const result = await plugin(evict);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("2 evicted (of 2 planned)");
    const after = await uncheckedOnV1();
    expect(after.filter((p) => before.some((b) => b.metadata.uid === p.metadata.uid))).toEqual([]);
    const recorded = JSON.parse(
      await kk([
        "get",
        "events.events.k8s.io",
        "-n",
        ns,
        "--field-selector=reason=ImageUpdated",
        "-o",
        "json",
      ]),
    ).items as { metadata: { annotations?: Record<string, string> }; regarding: { name: string } }[];
    const ours = recorded.filter((e) => e.regarding.name.startsWith("unchecked-"));
    expect(ours).toHaveLength(2);
    for (const event of ours) {
      const annotations = event.metadata.annotations ?? {};
      expect(annotations["kubectl-autoupdate/restarted-for"]).toBe(`app=${v1}>${v2}`);
      expect(annotations["kubectl-autoupdate/unchecked-restart-at"]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    }

    // The next run, --no-wait too, leaves both: made since those evictions and back on v1.
    const doc = await planJson(["-n", ns, "-l", "app=unchecked", "--strategy", "evict"]);
    expect(doc.pods).toHaveLength(2);
    for (const pod of doc.pods) {
      expect(pod).toMatchObject({ action: "skip" });
      expect(pod.reason).toMatch(
        /^ReplicaSet\/unchecked-\S+ restarted a pod for [0-9a-f]{12} \S+ ago without checking its replacement, and this pod, made since, came back on the old digest: the node started its cached image \(imagePullPolicy IfNotPresent on container app\); left until the tag moves$/,
      );
    }
    const again = await plugin(evict);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("Nothing to restart.");
    expect((await uncheckedOnV1()).map((p) => p.metadata.uid).sort()).toEqual(
      after.map((p) => p.metadata.uid).sort(),
    );
  });

  it("a rollout replaces both replicas, each new pod starts the cached v1: apply says so and exits 1", async () => {
    const before = await pairOnV1();
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=pair"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^deployment\\.apps ${ns}/pair restarted \\(rollout\\), but: pod pair-\\S+ runs the old digest \\(container app: the node started its cached image \\(imagePullPolicy IfNotPresent\\)\\)$`,
        "m",
      ),
    );
    expect(result.stdout).toContain(
      "2 replaced by rollout (of 2 planned); 1 workload not replaced as planned",
    );
    expect(result.stderr).toContain("error: some replacements did not come up on the new image; see above");
    const after = await pairOnV1();
    expect(after.filter((p) => before.some((b) => b.metadata.uid === p.metadata.uid))).toEqual([]);
  });

  it("the next run leaves both: that rollout was for v2 and they came back on v1; nothing restarted, exit 0", async () => {
    const before = await pairOnV1();
    const doc = await planJson(["-n", ns, "-l", "app=pair"]);
    const short = v2.slice("sha256:".length, "sha256:".length + 12);
    expect(doc.pods.map((p) => `${p.containers[0]!.status} ${p.action}: ${p.reason}`)).toEqual(
      before.map(
        () =>
          `stale skip: already restarted for ${short} and back on the old digest: the node started its cached image (imagePullPolicy IfNotPresent on container app); left until the tag moves`,
      ),
    );
    await pairLeftAlone("auto", "evict");
  });

  it("apply rolls it out; the new pod lands on the same node and starts the cached v1: still stale, and said so", async () => {
    const [old] = await podsOf("cached");
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=cached"]);
    // The only replica: nothing is left to spare, but the run is no success either.
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/Warning: pod .*: imagePullPolicy IfNotPresent/);
    const [replacement] = await podsOf("cached");
    expect(result.stdout).toContain(
      `deployment.apps ${ns}/cached restarted (rollout), but: pod ${replacement!.metadata.name} runs the old digest (container app: the node started its cached image (imagePullPolicy IfNotPresent))\n`,
    );
    expect(result.stdout).toContain(
      "1 replaced by rollout (of 1 planned); 1 workload not replaced as planned",
    );
    expect(result.stderr).toContain("error: some replacements did not come up on the new image; see above");

    expect(replacement!.metadata.uid).not.toBe(old!.metadata.uid);
    expect(replacement!.spec.nodeName).toBe(node);
    expect(digestOf(replacement!)).toBe(v1);
    // The simulated kubelet did not pull: it found the tag in the node's store.
    const started = cluster.sim
      .eventsOf(ns)
      .filter((e) => e.uid === replacement!.metadata.uid)
      .map((e) => e.what);
    expect(started).toEqual(["seen", "cached", "running"]);

    const doc = await planJson(["-n", ns, "-l", "app=cached"]);
    expect(doc.pods).toHaveLength(1);
    // Made by a rollout for v2 and still on v1: the next runs leave it rather than roll it again and again.
    expect(doc.pods[0]).toMatchObject({
      name: replacement!.metadata.name,
      action: "skip",
      reason: expect.stringMatching(/^already restarted for [0-9a-f]{12} and back on the old digest: /),
    });
    expect(doc.pods[0]!.containers[0]).toMatchObject({
      status: "stale",
      runningDigest: v1,
      latestDigest: v2,
    });
  });

  it("Always on the same node and tag: the replacement pulls v2", async () => {
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=always"]);
    expect(result.code, result.stderr).toBe(0);
    const [pod] = await cluster.sim.waitForPods({
      namespace: ns,
      selector: "app=always",
      count: 1,
      digest: v2,
    });
    expect(pod!.spec.nodeName).toBe(node);
    expect(
      cluster.sim
        .eventsOf(ns)
        .filter((e) => e.uid === pod!.metadata.uid)
        .map((e) => e.what),
    ).toEqual(["seen", "pulled", "running"]);
  });

  it("once the node's tag has moved, the left pod is still left (nothing says so); deleted by hand, it comes back on v2", async () => {
    const result = await plugin(["apply", "--yes", "-n", ns, "-l", "app=cached"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Nothing to restart.");
    const [left] = await podsOf("cached");
    expect(digestOf(left!)).toBe(v1);
    await kk(["delete", "pod", left!.metadata.name, "-n", ns, "--wait=false"]);
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=cached", count: 1, digest: v2 });
    const doc = await planJson(["-n", ns, "-l", "app in (cached,always)"]);
    expect(doc.pods.map((p) => p.action)).toEqual(["none", "none"]);
    expect(cluster.sim.errors).toEqual([]);
  });
});
