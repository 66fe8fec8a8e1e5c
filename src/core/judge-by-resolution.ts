/** A running digest judged against what its tag's resolution read. Pure. */
import { type ImageRef, repositoryOf } from "./image-ref.js";
import type { Resolution } from "./resolution.js";
import {
  type DigestJudgement,
  judgeRunningDigest,
  type Manifests,
  type NodePlatform,
  type RunningDigest,
} from "./running-image.js";

/** The verdict on a running digest by what its tag's resolution read; the node's platform where known. */
export function judgeByResolution(
  running: RunningDigest,
  ref: ImageRef,
  resolution: Resolution,
  nodePlatform: NodePlatform,
): DigestJudgement {
  if (!resolution.tag.ok) return { status: "unknown", reason: resolution.tag.reason };
  const manifests = readFrom(resolution, running.repository);
  return judgeRunningDigest(running, repositoryOf(ref), resolution.tag.tag, manifests, nodePlatform);
}

/**
 * The manifests read, as a pod running a digest of `repository` sees them: every one read, and the reads
 * that failed in that repository. Another repository's failure (its retention policy deleted what the
 * tag's repository still has) is not this pod's to judge by.
 */
function readFrom(resolution: Resolution, repository: string): Manifests {
  const { manifests, unread } = resolution;
  const failedHere = (digest: string) => unread?.get(`${repository}@${digest}`);
  return {
    get: (digest) => manifests.get(digest) ?? failedHere(digest),
    has: (digest) => manifests.has(digest) || failedHere(digest) !== undefined,
  };
}
