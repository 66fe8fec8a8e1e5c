/**
 * Manifests and indexes as registries serve them: the media types to ask for, whether a type is an index,
 * and the children (with platforms) of an index. Pure; shared by both resolvers.
 */
import type { Node } from "./k8s.js";
import type { ImageDescription, IndexChild, ManifestInfo } from "./resolution.js";

const ociIndex = "application/vnd.oci.image.index.v1+json";
const dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
const ociManifest = "application/vnd.oci.image.manifest.v1+json";
const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

/**
 * All four types, so the registry answers with what the tag really names: distribution rewrites a list to
 * its linux/amd64 manifest when the list type is not accepted, and 404s an OCI index it may not send.
 */
export const manifestAccept = [ociIndex, dockerManifestList, ociManifest, dockerManifest].join(", ");

/** True for an index type, false for a single-manifest type, null when the type says nothing we know. */
export function isIndexMediaType(contentType: string | null): boolean | null {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === ociIndex || type === dockerManifestList) return true;
  if (type === ociManifest || type === dockerManifest) return false;
  return null;
}

type IndexEntry = {
  digest?: unknown;
  platform?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
};

/**
 * Reads an index (children with platforms) or a single manifest from its JSON. Attestation manifests
 * (BuildKit's `unknown/unknown` entries) are not images a node runs, so they are left out: a rebuild that
 * only re-signs must not look like a platform that moved.
 */
export function manifestInfo(manifest: unknown): ManifestInfo {
  const { mediaType, manifests: list } = (manifest ?? {}) as { mediaType?: unknown; manifests?: unknown };
  // The media type decides where the manifest states one: Go writes an index of no entries with
  // `"manifests": null`, which by its shape alone would be an image with no config.
  const isIndex = isIndexMediaType(typeof mediaType === "string" ? mediaType : null) ?? Array.isArray(list);
  if (!isIndex) {
    const notImage = notAnImage(manifest);
    return { ok: true, isIndex: false, config: configDigestOf(manifest), ...(notImage ? { notImage } : {}) };
  }
  const children: IndexChild[] = [];
  for (const entry of (Array.isArray(list) ? list : []) as IndexEntry[]) {
    if (typeof entry?.digest !== "string" || isAttestation(entry)) continue;
    children.push({ digest: entry.digest, platform: platformKey(entry.platform) });
  }
  return { ok: true, isIndex: true, children };
}

const imageConfigTypes = new Set([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);

/**
 * A manifest that is no container image says so by its artifactType or its config's media type (a Helm
 * chart's `application/vnd.cncf.helm.config.v1+json`, OCI's empty config): that type, else undefined.
 */
function notAnImage(manifest: unknown): string | undefined {
  const { artifactType, config } = (manifest ?? {}) as {
    artifactType?: unknown;
    config?: { mediaType?: unknown };
  };
  if (typeof artifactType === "string" && artifactType !== "") return artifactType;
  if (typeof config?.mediaType !== "string") return undefined;
  // A media type's case and parameters say nothing of what it is.
  const type = config.mediaType.split(";")[0]!.trim().toLowerCase();
  return imageConfigTypes.has(type) ? undefined : config.mediaType;
}

function isAttestation(entry: IndexEntry): boolean {
  if (entry.annotations?.["vnd.docker.reference.type"] === "attestation-manifest") return true;
  return entry.platform?.["os"] === "unknown" && entry.platform?.["architecture"] === "unknown";
}

/** The config digest of a single image manifest: the image's identity, and where its platform is stated. */
export function configDigestOf(manifest: unknown): string | null {
  const digest = (manifest as { config?: { digest?: unknown } } | null)?.config?.digest;
  return typeof digest === "string" ? digest : null;
}

/** The platform an image config states (`os`, `architecture`, `variant`, a Windows build), or null. */
export function configPlatform(config: unknown): string | null {
  if (config === null || typeof config !== "object" || Array.isArray(config)) return null;
  return platformKey(config as Record<string, unknown>);
}

/**
 * `os/arch[/variant]`, with the defaults containerd fills in made explicit (its platforms.Normalize), so
 * `linux/arm64` and `linux/arm64/v8` are the same platform, as are `linux/arm` and `linux/arm/v7` (a bare
 * `7` is `v7`), and `linux/amd64/v1` is `linux/amd64`. A Windows image's build follows
 * (`windows/amd64 10.0.17763`): a process-isolated container runs only on a node of its build.
 */
export function platformKey(platform: Record<string, unknown> | undefined): string | null {
  const os = platform?.["os"];
  const arch = platform?.["architecture"];
  // docker prints "" for what a config leaves out: no platform stated, as when the keys are absent.
  if (typeof os !== "string" || typeof arch !== "string" || os === "" || arch === "") return null;
  const stated = typeof platform?.["variant"] === "string" ? (platform["variant"] as string) : "";
  const [normalArch, variant] = normalPlatform(arch.toLowerCase(), stated.toLowerCase());
  const key = [os, normalArch, variant].filter(Boolean).join("/").toLowerCase();
  const build = key.startsWith("windows/") ? windowsBuild(platform?.["os.version"]) : null;
  return build ? `${key} ${build}` : key;
}

/** An architecture and its variant in Go's spelling, as containerd matches them (`aarch64` is `arm64`). */
function normalPlatform(arch: string, variant: string): [string, string] {
  if (arch === "i386") return ["386", ""];
  if (arch === "armhf") return ["arm", "v7"];
  if (arch === "armel") return ["arm", "v6"];
  const goArch =
    ({ x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64" } as Record<string, string>)[arch] ?? arch;
  return [goArch, normalVariant(goArch, variant)];
}

function normalVariant(arch: string, variant: string): string {
  if (arch === "amd64" && variant === "v1") return "";
  if (arch === "arm64" && ["", "8", "v8.0"].includes(variant)) return "v8";
  if (arch === "arm" && (variant === "" || variant === "7")) return "v7";
  if (arch === "arm" && ["5", "6", "8"].includes(variant)) return `v${variant}`;
  return variant;
}

/** `10.0.17763` of `10.0.17763.5329`: the build, which must match; the revision after it need not. */
function windowsBuild(version: unknown): string | null {
  if (typeof version !== "string") return null;
  return /^(\d+\.\d+\.\d+)(?:\.\d+)?$/.exec(version.trim())?.[1] ?? null;
}

/** The label a Windows node's build is published in (`10.0.17763`). */
const windowsBuildLabel = "node.kubernetes.io/windows-build";

/**
 * A Node's platform in the form index children name theirs (`linux/arm64/v8`, `windows/amd64 10.0.17763`);
 * null when unstated. A Windows node's build is its label's, else its kernel version's. A 32-bit ARM node
 * says `arm` with no variant, where images say `arm/v6` or `arm/v7`: its key is `linux/arm`, which names
 * no image (statesNoVariant).
 */
export function nodePlatformKey(node: Node): string | null {
  const info = node.status?.nodeInfo;
  if (info?.architecture === "arm") {
    return typeof info.operatingSystem === "string" && info.operatingSystem !== ""
      ? `${info.operatingSystem.toLowerCase()}/arm`
      : null;
  }
  const build = node.metadata.labels?.[windowsBuildLabel] ?? info?.kernelVersion;
  return platformKey({ os: info?.operatingSystem, architecture: info?.architecture, "os.version": build });
}

/**
 * Whether a node's platform key leaves its variant unknown (a 32-bit ARM node's `linux/arm`): only its
 * operating system and architecture are known, so it runs none of another's images, and which of its own
 * architecture's variants it runs is not known.
 */
export function statesNoVariant(nodePlatform: string): boolean {
  return /^[^/ ]+\/arm$/.test(nodePlatform);
}

/**
 * Reads a manifest body fetched from a registry. Anything that is not a schema 2 manifest or index
 * (HTML from a proxy, truncated JSON, a schema 1 manifest) is a failure with the reason.
 */
export function readManifest(body: string): ManifestInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: "the registry answered something that is not JSON" };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { ok: false, reason: "the registry answered JSON that is not a manifest" };
  }
  const schemaVersion = (parsed as { schemaVersion?: unknown }).schemaVersion;
  if (schemaVersion !== 2) {
    return {
      ok: false,
      reason: `unsupported manifest schemaVersion ${JSON.stringify(schemaVersion ?? null)}`,
    };
  }
  return manifestInfo(parsed);
}

/** What an image config (as registries serve it) says of the image: `created` and its string labels. */
export function describeConfig(config: unknown): ImageDescription {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    return { ok: false, reason: "the image config is not a JSON object" };
  }
  const { created, config: runConfig } = config as { created?: unknown; config?: { Labels?: unknown } };
  return {
    ok: true,
    // As the labels: the same text in every output.
    created: typeof created === "string" ? created.replace(loneSurrogate, "\uFFFD") : null,
    labels: stringLabels(runConfig?.Labels),
  };
}

/**
 * Only string-valued labels, as the OCI image spec defines them; anything else is left out. A lone UTF-16
 * surrogate (JSON's `\ud800` escape) becomes U+FFFD, as Go's decoder makes it, so that JSON, YAML, Events
 * and the webhook all carry the same text.
 */
export function stringLabels(labels: unknown): Record<string, string> {
  if (labels === null || typeof labels !== "object" || Array.isArray(labels)) return {};
  return Object.fromEntries(
    Object.entries(labels)
      .filter((entry): entry is [string, string] => typeof entry[1] === "string")
      .map(([name, value]) => [
        name.replace(loneSurrogate, "\uFFFD"),
        value.replace(loneSurrogate, "\uFFFD"),
      ]),
  );
}

const loneSurrogate = /\p{Surrogate}/gu;
