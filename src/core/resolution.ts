/** What a resolver learned about one unique image reference (one tag). */

/** The tag's current digest and the digests known to carry the same content. */
export interface TagDigest {
  /** What the tag points to now (an index digest for a multi-arch tag). */
  digest: string;
  /** Other digests of this repository for the same image (docker's RepoDigests). */
  sameImageDigests: readonly string[];
  /**
   * Whether the tag names an index; null when the resolver cannot tell without asking. From a header, it
   * is a hint: the manifest read by digest, when read, says what the tag names.
   */
  isIndex: boolean | null;
}

/**
 * The outcome of resolving one reference; a failure carries the reason shown to users. `missing`: the
 * registry does not have the tag (404), so a pod started now could not pull it either.
 */
/**
 * A failure is `missing` when the registry does not have the tag, `unanswered` when it did not answer in
 * time: another credential would not be answered sooner.
 */
export type TagResolution =
  | { ok: true; tag: TagDigest }
  | { ok: false; reason: string; missing?: true; unanswered?: true };

/** One child of an index: its digest and platform (`linux/arm64/v8`), when the index says. */
export interface IndexChild {
  digest: string;
  platform: string | null;
}

/**
 * A manifest read by digest: an index with its children, or a single image manifest with its config digest
 * (what identifies the image: runtimes key images by it) and, when asked for, the platform its config states
 * (null: not stated; absent: not asked). `readByTag`: learned from the GET of its tag instead (the registry
 * sent no digest header), so whether the registry serves manifests by digest is not known.
 */
export type ManifestInfo =
  | { ok: true; isIndex: true; children: readonly IndexChild[]; readByTag?: true }
  | {
      ok: true;
      isIndex: false;
      config: string | null;
      platform?: string | null;
      readByTag?: true;
      /**
       * What it is when no container image (a Helm chart, an OCI artifact): its config's or artifact type.
       */
      notImage?: string;
    }
  /** `missing`: the registry does not have it (404), as opposed to a read that failed. */
  | { ok: false; reason: string; missing?: true };

/**
 * What an image says of itself in its config: when it was built and its OCI labels
 * (org.opencontainers.image.revision, .source, .version, .title, …). Absent labels are simply absent.
 */
export type ImageDescription =
  | { ok: true; created: string | null; labels: Readonly<Record<string, string>> }
  | { ok: false; reason: string };

/** Everything known about one reference when the plan is decided. */
export interface Resolution {
  tag: TagResolution;
  /** Manifests read by digest (the tag's, the running ones, their children), only those a verdict needed. */
  manifests: ReadonlyMap<string, ManifestInfo>;
  /**
   * Reads that failed in another repository than the tag's, by `repository@digest`: a digest names one
   * content, but one repository's failure says nothing of another's, so each is kept apart.
   */
  unread?: ReadonlyMap<string, Extract<ManifestInfo, { ok: false }>>;
  /** The image the tag points to now, described once per run, only when some node runs another. */
  newImage?: { digest: string; description: ImageDescription };
}
