/**
 * A replacement whose runtime names its image by no repository digest (an image imported on the node, or
 * built there: `sha256:…`, cri-dockerd's `docker://sha256:…`) is not proven on the new digest; under
 * IfNotPresent it most likely runs the node's own old image. It is a problem, and the controller's next
 * pods are left, rather than each moved onto that image with the run counted a success.
 */
import { expect, it } from "vitest";
import type { WatchQuery } from "../../../../src/adapters/list-request.js";
import type { WatchChange, WatchEnd } from "../../../../src/adapters/watch.js";
import type { PodWithConditions } from "../../../../src/core/readiness.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster, newDigest, oldDigest } from "../../../support/in-memory-cluster.js";
import { runRestart, surgingWeb } from "../../../support/restart.js";

/** A cluster whose new pods report their image as a bare image ID: the node imported it, never pulled it. */
class ImportedImageCluster extends InMemoryCluster {
  readonly original = new Set<string>();
  private bare(pod: PodWithConditions): PodWithConditions {
    if (this.original.has(pod.metadata.uid!)) return pod;
    for (const status of pod.status?.containerStatuses ?? []) status.imageID = oldDigest;
    return pod;
  }
  override async listPodsBySelector(namespace: string, selector: string, onVersion?: (v: string) => void) {
    return (await super.listPodsBySelector(namespace, selector, onVersion)).map((p) => this.bare(p));
  }
  override watchPodsBySelector(
    query: WatchQuery,
    onChange: (change: WatchChange<PodWithConditions>) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd> {
    return super.watchPodsBySelector(query, (c) => onChange({ ...c, object: this.bare(c.object) }), signal);
  }
}

it("a replacement on an image named by no digest is a problem; the controller's next pods are left", async () => {
  const clock = new FakeClock();
  const cluster = new ImportedImageCluster(clock);
  const pods = cluster.addController({
    name: "web",
    replicas: 3,
    strategy: "evict",
    replacementDigest: oldDigest,
    pullPolicy: "IfNotPresent",
  });
  for (const pod of pods) cluster.original.add(pod.uid);
  const { reported, restarted } = await runRestart(clock, cluster, pods);
  expect(cluster.evictions()).toHaveLength(1);
  expect(restarted.map((r) => r.replacement.kind)).toEqual(["problem"]);
  const why = `the replacement of web-0 runs an image its runtime names by no digest (app sha256:${"0".repeat(64)}): not proven on the new digest`;
  expect(reported).toEqual([
    "web-0 evicted",
    `web-0 problem: ${why}`,
    `web-1 not-started: ${why}`,
    `web-2 not-started: ${why}`,
  ]);
  // Recorded as checked, as one back on the old digest is, with the move it was for: the next runs leave the
  // controller's stale pods rather than move one more onto that image each (a restart at a time, unchecked,
  // holds only the pods made since).
  expect(restarted[0]?.replacement).toEqual({
    kind: "problem",
    reason: why,
    restartedFor: `app=${oldDigest}>${newDigest}`,
  });
});

/** Deployment web's two pods, rolled one surge pod at a time; its new pods report a bare image ID. */
function rolledOntoImportedImage() {
  const clock = new FakeClock();
  const cluster = new ImportedImageCluster(clock);
  const pods = surgingWeb(cluster, { pullPolicy: "IfNotPresent" });
  for (const pod of pods) cluster.original.add(pod.uid);
  return { clock, cluster, pods };
}

it("after a rollout, a new pod on an image named by no digest fails the rollout's check", async () => {
  const { clock, cluster, pods } = rolledOntoImportedImage();
  const { reported, problems } = await runRestart(clock, cluster, pods);
  expect(problems).toHaveLength(1);
  expect(reported[0]).toMatch(
    /^Deployment\/web failed: pod web-\S+ runs an image its runtime names by no digest \(app sha256:0+\): not proven on the new digest$/,
  );
});

it("after a rollout, no verdict when the plan saw that container on such an image in the workload", async () => {
  const { clock, cluster, pods } = rolledOntoImportedImage();
  // A third pod of the workload the plan found on the node's imported image: a rollout replaces it too.
  const unnamedSeen = new Map([[`${pods[0]!.namespace}/Deployment/web`, new Set(["app"])]]);
  const { problems } = await runRestart(clock, cluster, pods, { unnamedSeen });
  expect(problems).toEqual([]);
});
