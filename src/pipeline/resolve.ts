/**
 * Resolving: each unique reference once, at most `concurrency` at a time; the tag first, then — only
 * for references where some node runs a digest the tag's answer does not explain — the index's children.
 */
import type { Resolver } from "../adapters/resolver.js";
import { needsIndexChildren } from "../core/decide.js";
import type { ImageInUse } from "../core/images-in-use.js";
import type { Credential } from "../core/keyring.js";
import type { Resolution, TagResolution } from "../core/resolution.js";
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
  await mapLimit(images, options.concurrency, async (image) => {
    const creds = await options.credentialsFor(image);
    credentials.set(image.key, creds);
    tags.set(image.key, await resolver.resolveTag(image.ref, creds, options.signal));
    options.onProgress?.(++done, images.length);
  });

  const resolutions = new Map<string, Resolution>();
  for (const [key, tag] of tags) resolutions.set(key, { tag });
  await mapLimit(needsIndexChildren(images, tags), options.concurrency, async (image) => {
    const resolution = resolutions.get(image.key)!;
    if (!resolution.tag.ok) return;
    resolution.children = await resolver.listChildren(
      image.ref,
      resolution.tag.tag.digest,
      credentials.get(image.key) ?? [],
      options.signal,
    );
  });
  return resolutions;
}
