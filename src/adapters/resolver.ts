/** The contract both resolvers (docker pull, registry HEAD) fulfil for the pipeline. */
import type { ImageRef } from "../core/image-ref.js";
import type { Credential } from "../core/keyring.js";
import type { ResolverName } from "../core/plan.js";
import type { ImageDescription, ManifestInfo, TagResolution } from "../core/resolution.js";

export interface Resolver {
  readonly name: ResolverName;
  /** What the tag points to now. Never throws for registry trouble: that is `{ ok: false, reason }`. */
  resolveTag(ref: ImageRef, credentials: readonly Credential[], signal?: AbortSignal): Promise<TagResolution>;
  /**
   * Reads one manifest of the repository by digest: an index with its children, or a single manifest —
   * with the platform its config states when `platform` is asked for (one more request), else null.
   */
  inspectManifest(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    options?: { platform?: boolean; signal?: AbortSignal },
  ): Promise<ManifestInfo>;
  /**
   * The config of the image a platform manifest (or the tag's digest) names: its build time and labels.
   * Like the rest, never throws for registry trouble.
   */
  describeImage(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<ImageDescription>;
  /** Facts worth a line in wide or verbose output (e.g. Docker Hub's remaining pulls). */
  notes?(): string[];
  /** Trouble worth a line on stderr whatever the output (e.g. a spent --max-requests). */
  warnings?(): string[];
  /** Resolving is over: let go of what it needed on disk (the docker resolver's pull secrets). */
  close?(): void;
}

/** What to do instead when the default resolver's Docker is missing or unreachable. */
export const withoutDocker = "use --resolver registry, which needs no Docker";
