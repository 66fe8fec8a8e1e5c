/**
 * Resolving: each unique reference once, at most `concurrency` at a time; the tag first, then — only
 * for references where some node runs a digest the tag's answer does not explain — manifests by digest.
 */
import type { Resolver } from "../adapters/resolver.js";
import { manifestsToInspect, newImageToDescribe } from "../core/decide.js";
import { parseImageRef, repositoryOf } from "../core/image-ref.js";
import type { ImageInUse } from "../core/images-in-use.js";
import type { Credential } from "../core/keyring.js";
import type { ManifestInfo, Resolution, TagResolution } from "../core/resolution.js";
import { mapLimit } from "../util/map-limit.js";

export interface ResolveOptions {
  concurrency: number;
  /** The credentials for an image's registry, matched to `repository` (its own, or one its nodes report). */
  credentialsFor: (image: ImageInUse, repository: string) => Promise<Credential[]>;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Rounds of manifest reads: tag and running manifest, their children, and a spare. */
const maxManifestRounds = 4;

/** Resolutions by normalized reference. */
export async function resolveImages(
  images: readonly ImageInUse[],
  resolver: Resolver,
  options: ResolveOptions,
): Promise<Map<string, Resolution>> {
  const credentials = new Map<string, Credential[]>();
  let done = 0;
  options.onProgress?.(0, images.length);
  const tags = new Map<string, TagResolution>();
  const interrupted = () => options.signal?.aborted === true;
  await mapLimit(images, options.concurrency, async (image) => {
    // After Ctrl-C no new image is started; the plan is thrown away anyway.
    if (interrupted()) {
      tags.set(image.key, { ok: false, reason: "interrupted" });
      return;
    }
    const creds = await options.credentialsFor(image, repositoryOf(image.ref));
    credentials.set(image.key, creds);
    tags.set(image.key, await resolver.resolveTag(image.ref, creds, options.signal));
    options.onProgress?.(++done, images.length);
  });

  // Read manifests by digest only where a verdict needs them: the tag's index or manifest and the running
  // one (only when their digests differ), then the children whose configs tell whether they are one image.
  // Each round asks for what the last one's answers showed is needed; a handful of rounds at most.
  const resolutions = new Map<string, Resolution & { manifests: Map<string, ManifestInfo> }>();
  for (const [key, tag] of tags) resolutions.set(key, { tag, manifests: new Map() });
  for (let round = 0; round < maxManifestRounds && !interrupted(); round++) {
    const wanted = manifestsToInspect(images, resolutions);
    if (wanted.length === 0) break;
    await mapLimit(wanted, options.concurrency, async ({ image, need }) => {
      if (interrupted()) return;
      // From the image's own repository as the tag was asked for (a resolver may tie credentials to it);
      // from another repository of the registry under that repository's name and credentials.
      const own = need.repository === repositoryOf(image.ref);
      const ref = own ? image.ref : { ...parseImageRef(need.repository), tag: null, digest: need.digest };
      const creds = own
        ? (credentials.get(image.key) ?? [])
        : await options.credentialsFor(image, need.repository);
      const info = await resolver.inspectManifest(ref, need.digest, creds, {
        platform: need.platform,
        signal: options.signal,
      });
      const manifests = resolutions.get(image.key)!.manifests;
      // A manifest already read with its platform keeps it when another verdict reads it without.
      const known = manifests.get(need.digest);
      const knowsMore = known?.ok && !known.isIndex && known.platform !== undefined && !need.platform;
      if (!knowsMore) manifests.set(need.digest, info);
    });
  }
  // Describe each tag's new image once (build time, labels), only for tags some node runs another image of.
  await mapLimit(images, options.concurrency, async (image) => {
    const resolution = resolutions.get(image.key);
    const digest = resolution && !interrupted() ? newImageToDescribe(image, resolution) : null;
    if (!resolution || digest === null) return;
    const creds = credentials.get(image.key) ?? [];
    resolution.newImage = {
      digest,
      description: await resolver.describeImage(image.ref, digest, creds, options.signal),
    };
  });
  return resolutions;
}
