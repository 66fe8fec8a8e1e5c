/**
 * Resolving: each unique reference once, at most `concurrency` at a time; the tag first, then — only
 * for references where some node runs a digest the tag's answer does not explain — manifests by digest.
 */
import type { Resolver } from "../adapters/resolver.js";
import { manifestsToInspect } from "../core/decide.js";
import type { ImageInUse } from "../core/images-in-use.js";
import type { Credential } from "../core/keyring.js";
import type { ManifestInfo, Resolution, TagResolution } from "../core/resolution.js";
import { mapLimit } from "../util/map-limit.js";

export interface ResolveOptions {
  concurrency: number;
  credentialsFor: (image: ImageInUse) => Promise<Credential[]>;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

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
    const creds = await options.credentialsFor(image);
    credentials.set(image.key, creds);
    tags.set(image.key, await resolver.resolveTag(image.ref, creds, options.signal));
    options.onProgress?.(++done, images.length);
  });

  // Read manifests by digest only where a verdict needs them: first the tag's index (for running digests
  // it does not explain), then older running indexes whose platforms must be compared. Two rounds at most.
  const resolutions = new Map<string, Resolution & { manifests: Map<string, ManifestInfo> }>();
  for (const [key, tag] of tags) resolutions.set(key, { tag, manifests: new Map() });
  for (let round = 0; round < 2 && !interrupted(); round++) {
    const wanted = manifestsToInspect(images, resolutions);
    if (wanted.length === 0) break;
    await mapLimit(wanted, options.concurrency, async ({ image, digest, platform }) => {
      if (interrupted()) return;
      const info = await resolver.inspectManifest(image.ref, digest, credentials.get(image.key) ?? [], {
        platform,
        signal: options.signal,
      });
      resolutions.get(image.key)!.manifests.set(digest, info);
    });
  }
  return resolutions;
}
