/** What a resolver learned about one unique image reference (one tag). */

/** The tag's current digest and the digests known to carry the same content. */
export interface TagDigest {
  /** What the tag points to now (an index digest for a multi-arch tag). */
  digest: string;
  /** Other digests of this repository for the same image (docker's RepoDigests). */
  sameImageDigests: readonly string[];
  /** Whether the tag names an index; null when the resolver cannot tell without asking. */
  isIndex: boolean | null;
}

/** The outcome of resolving one reference; a failure carries the reason shown to users. */
export type TagResolution = { ok: true; tag: TagDigest } | { ok: false; reason: string };

/** Child manifests of an index, when they were needed for a verdict. */
export type IndexChildren = { ok: true; digests: readonly string[] } | { ok: false; reason: string };

/** Everything known about one reference when the plan is decided. */
export interface Resolution {
  tag: TagResolution;
  /** Present only when listing was needed (some running digest matched neither the tag nor its twins). */
  children?: IndexChildren;
}
