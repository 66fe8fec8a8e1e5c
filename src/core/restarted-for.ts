/**
 * What a rollout was for, written into the workload's template beside restartedAt and so carried by every
 * pod it creates: the digest each stale container was restarted to get. A pod that carries it, still runs
 * an older digest and whose tag still points where it did is proof that restarting does not help (its node
 * started the cached image under IfNotPresent, or a mirror served the old one): plan leaves such pods, so a
 * workload is rolled once per move of its tag rather than on every run.
 */
import { shortDigest } from "./image-id.js";
import type { PlanContainer, PlanPod } from "./plan.js";

export const restartedForAnnotation = "kubectl-autoupdate/restarted-for";

/** `app=sha256:…,sidecar=sha256:…`: the stale containers of a workload's planned pods and their new digests. */
export function restartedForValue(pods: readonly PlanPod[]): string | null {
  const wanted = new Map<string, string>();
  for (const pod of pods) {
    for (const c of pod.containers) {
      if (c.status === "stale" && c.latestDigest !== null && !wanted.has(c.name)) {
        wanted.set(c.name, c.latestDigest);
      }
    }
  }
  if (wanted.size === 0) return null;
  return [...wanted.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, digest]) => `${name}=${digest}`)
    .join(",");
}

function parse(value: string): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const pair of value.split(",")) {
    const at = pair.indexOf("=");
    if (at > 0) wanted.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return wanted;
}

/**
 * Why a pod is left although stale: a restart for exactly the digests its stale containers lack already
 * made this pod. Null when any stale container was not restarted for its tag's digest of now (the tag moved
 * since, or the pod was not made by such a restart): restarting it may help.
 */
export function alreadyRestartedFor(
  annotation: string | undefined,
  containers: readonly PlanContainer[],
): string | null {
  if (annotation === undefined) return null;
  const wanted = parse(annotation);
  const stale = containers.filter((c) => c.status === "stale");
  const tried = stale.filter((c) => c.latestDigest !== null && wanted.get(c.name) === c.latestDigest);
  if (tried.length === 0 || tried.length < stale.length) return null;
  const first = tried[0]!;
  const names = `container${tried.length > 1 ? "s" : ""} ${tried.map((c) => c.name).join(", ")}`;
  const cause =
    first.pullPolicy === "Always"
      ? ` though pulled (${names})`
      : `: the node started its cached image (imagePullPolicy ${first.pullPolicy} on ${names})`;
  return `already restarted for ${shortDigest(first.latestDigest)} and back on the old digest${cause}; left until the tag moves`;
}
