/**
 * Reads `status.containerStatuses[].imageID`, whose form depends on the node's runtime:
 *   cri-dockerd  docker-pullable://nginx@sha256:…   (docker://sha256:<image id> when it has no repo digest)
 *   containerd   docker.io/library/nginx@sha256:…   (the index digest for multi-arch tags)
 *   CRI-O        quay.io/app@sha256:…               (the platform manifest digest)
 *   kind load, ctr import, some CRI-O versions: a bare sha256:… or 64-hex image ID, not comparable.
 */
import { isDigest, parseRepository } from "./image-ref.js";

/** What an imageID says about the running image. */
export type RunningImage =
  | { kind: "empty" }
  | { kind: "bare-id" }
  | { kind: "malformed"; raw: string }
  | { kind: "repo-digest"; digest: string; repository: string | null };

/** Parses an imageID in any runtime's form. `repository` is normalized, or null when unparseable. */
export function parseImageId(imageID: string | undefined): RunningImage {
  const raw = (imageID ?? "").trim();
  if (raw === "") return { kind: "empty" };
  const withoutScheme = raw.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  const at = withoutScheme.lastIndexOf("@");
  if (at === -1) {
    const isBare = /^(?:sha256:)?[a-f0-9]{64}$/.test(withoutScheme) || isDigest(withoutScheme);
    return isBare ? { kind: "bare-id" } : { kind: "malformed", raw };
  }
  const digest = withoutScheme.slice(at + 1);
  if (!isDigest(digest)) return { kind: "malformed", raw };
  let repository: string | null;
  try {
    repository = parseRepository(withoutScheme.slice(0, at));
  } catch {
    repository = null;
  }
  return { kind: "repo-digest", digest, repository };
}

/** The first 12 hex characters of a digest, as docker and kubectl abbreviate them. */
export function shortDigest(digest: string | null): string {
  if (digest === null) return "";
  const hex = digest.slice(digest.indexOf(":") + 1);
  return hex.slice(0, 12);
}
