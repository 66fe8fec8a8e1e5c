/**
 * Resolving: each unique reference once, at most `concurrency` at a time; the tag first (unless it was
 * asked for while the pods were listed), then — only for references where some node runs a digest the
 * tag's answer does not explain — manifests by digest.
 */
import type { Resolver } from "../adapters/resolver.js";
import { youngestImage } from "../core/image-age.js";
import { parseImageRef, repositoryOf } from "../core/image-ref.js";
import type { ImageInUse } from "../core/images-in-use.js";
import type { Credential } from "../core/keyring.js";
import type { ManifestInfo, Resolution, TagResolution } from "../core/resolution.js";
import { manifestsToInspect, newImagesToDescribe } from "../core/to-inspect.js";
import type { Limiter } from "../util/limiter.js";

export interface ResolveOptions {
  /** Images resolved at once (`--concurrency`). */
  limiter: Limiter;
  /** The credentials for an image's registry, matched to `repository` (its own, or one its nodes report). */
  credentialsFor: (image: ImageInUse, repository: string) => Promise<Credential[]>;
  /** The tag's answer when it was asked for already and stands; undefined: ask now. */
  earlyAnswer?: (image: ImageInUse) => Promise<TagResolution | undefined>;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * --min-age: of a multi-arch tag rebuilt for several platforms, describe each image the stale pods may
   * get (a config blob each), as the youngest decides; otherwise the first stands for them.
   */
  describeEveryMoved?: boolean;
}

/** A manifest by `repository@digest`, read at most once (again only to learn its platform). */
type ReadOnce = (id: string, platform: boolean, read: () => Promise<ManifestInfo>) => Promise<ManifestInfo>;

type ResolutionBeingRead = Resolution & {
  manifests: Map<string, ManifestInfo>;
  unread: Map<string, Extract<ManifestInfo, { ok: false }>>;
};

/** Rounds of manifest reads: tag and running manifest, their children, and a spare. */
const maxManifestRounds = 4;

/**
 * Resolutions by normalized reference. Each image goes its own way, `concurrency` images at a time: the
 * tag, then the rounds of manifest reads it needs, then its new image's description; so one image's
 * manifest reads overlap other images' tags rather than waiting for every tag.
 */
export async function resolveImages(
  images: readonly ImageInUse[],
  resolver: Resolver,
  options: ResolveOptions,
): Promise<Map<string, Resolution>> {
  let done = 0;
  options.onProgress?.(0, images.length);
  const resolutions = new Map<string, Resolution>();
  const interrupted = () => options.signal?.aborted === true;
  // Images of one repository may need the same manifest: it is read once, with its platform if any asks.
  // A failed read is no answer for another image, whose credentials may see what the first one's could not
  // (a registry answers 404 for what a credential may not see): that image asks again.
  const reads = new Map<string, { platform: boolean; info: Promise<ManifestInfo> }>();
  const readOnce: ReadOnce = (id, platform, read) => {
    const known = reads.get(id);
    if (known && (known.platform || !platform)) {
      return known.info.then((earlier) => (earlier.ok ? earlier : read()));
    }
    const info = read();
    reads.set(id, { platform, info });
    return info;
  };
  const resolveOne = async (image: ImageInUse) => {
    // After Ctrl-C no new image is started; the plan is thrown away anyway.
    if (interrupted()) {
      resolutions.set(image.key, { tag: { ok: false, reason: "interrupted" }, manifests: new Map() });
      return;
    }
    const credentials = await options.credentialsFor(image, repositoryOf(image.ref));
    const tag =
      (await options.earlyAnswer?.(image)) ??
      (await resolver.resolveTag(image.ref, credentials, options.signal));
    const resolution: ResolutionBeingRead = { tag, manifests: new Map(), unread: new Map() };
    resolutions.set(image.key, resolution);
    await readManifests(image, resolution, credentials, { resolver, readOnce, ...options });
    const candidates = interrupted() ? [] : newImagesToDescribe(image, resolution);
    const digests = options.describeEveryMoved ? candidates : candidates.slice(0, 1);
    const described = await Promise.all(
      digests.map(async (digest) => ({
        digest,
        description: await resolver.describeImage(image.ref, digest, credentials, options.signal),
      })),
    );
    const newImage = youngestImage(described);
    if (newImage) resolution.newImage = newImage;
    options.onProgress?.(++done, images.length);
  };
  // In the order listed, each image holding a slot while its work goes on.
  await Promise.all(images.map((image) => options.limiter.run(() => resolveOne(image))));
  return resolutions;
}

/**
 * Reads manifests by digest only where a verdict needs them: the tag's index or manifest and the running
 * one (only when their digests differ), then the children whose configs tell whether they are one image.
 * Each round asks for what the last one's answers showed is needed; a handful of rounds at most.
 */
async function readManifests(
  image: ImageInUse,
  resolution: ResolutionBeingRead,
  credentials: Credential[],
  options: ResolveOptions & { resolver: Resolver; readOnce: ReadOnce },
): Promise<void> {
  const own = new Map([[image.key, resolution]]);
  for (let round = 0; round < maxManifestRounds && options.signal?.aborted !== true; round++) {
    const wanted = manifestsToInspect([image], own);
    if (wanted.length === 0) return;
    await Promise.all(
      wanted.map(async ({ need }) => {
        // From the image's own repository as the tag was asked for (a resolver may tie credentials to it);
        // from another repository of the registry under that repository's name and credentials.
        const isOwn = need.repository === repositoryOf(image.ref);
        const ref = isOwn ? image.ref : { ...parseImageRef(need.repository), tag: null, digest: need.digest };
        const info = await options.readOnce(`${need.repository}@${need.digest}`, need.platform, async () => {
          const creds = isOwn ? credentials : await options.credentialsFor(image, need.repository);
          return options.resolver.inspectManifest(ref, need.digest, creds, {
            platform: need.platform,
            signal: options.signal,
          });
        });
        // Another repository's failed read decides nothing for the tag's own pods (a retention policy there
        // may have deleted what the tag's repository still has): kept apart, for the pods that run the
        // digest from there (core/decide.ts readFrom).
        if (!info.ok && !isOwn) {
          resolution.unread.set(`${need.repository}@${need.digest}`, info);
          return;
        }
        // A manifest already read with its platform keeps it when another verdict reads it without; one
        // read in some repository stays read when another repository refuses it (a digest names one content).
        const known = resolution.manifests.get(need.digest);
        const knowsMore = known?.ok && !known.isIndex && known.platform !== undefined && !need.platform;
        // (Not when the failed read was for the platform the one before did not learn: that failure
        // says why.)
        const readBefore =
          known?.ok === true &&
          !info.ok &&
          !(need.platform && !known.isIndex && known.platform === undefined);
        // Nor does one repository's 404 undo another's failed read: only a 404 where the pod runs it
        // lets its digest decide, and which of the two a pod ran is not kept.
        const failedBefore = known?.ok === false && known.missing !== true && !info.ok && info.missing;
        if (!knowsMore && !readBefore && !failedBefore) resolution.manifests.set(need.digest, info);
      }),
    );
  }
}
