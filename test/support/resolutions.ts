/**
 * What a resolver learned about a tag, for tests of the decision: a tag that points to a single manifest,
 * with the running manifests readable as different images (so a differing digest is proven stale).
 */
import type { ManifestInfo, Resolution } from "../../src/core/resolution.js";
import { digestOf } from "./pods.js";

/** The config digest a test manifest has unless told otherwise: one image per manifest. */
export const configOf = (digest: string) => digestOf(`config of ${digest}`);

/** A single image manifest as read by digest, with its platform (linux/amd64 unless told otherwise). */
export function singleManifest(
  digest: string,
  extra: { config?: string; platform?: string | null | undefined } = {},
): [string, ManifestInfo] {
  return [digest, { ok: true, isIndex: false, config: configOf(digest), platform: "linux/amd64", ...extra }];
}

/** The tag points to `digest` (one manifest); `running` digests are readable, each a different image. */
export function tagAt(digest: string, ...running: string[]): Resolution {
  return {
    tag: { ok: true, tag: { digest, sameImageDigests: [], isIndex: false } },
    manifests: new Map([singleManifest(digest), ...running.map((d) => singleManifest(d))]),
  };
}
