/**
 * Manifests and indexes as registries serve them: the media types to ask for, whether a type is an index,
 * and the children (with platforms) of an index. Pure; shared by both resolvers.
 */
import type { IndexChild, ManifestInfo } from "./resolution.js";

export const ociIndex = "application/vnd.oci.image.index.v1+json";
export const dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
export const ociManifest = "application/vnd.oci.image.manifest.v1+json";
export const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

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

/** Reads an index (children with platforms) or a single manifest from its JSON. */
export function manifestInfo(manifest: unknown): ManifestInfo {
  const list = (manifest as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(list)) return { ok: true, isIndex: false };
  const children: IndexChild[] = [];
  for (const entry of list as { digest?: unknown; platform?: Record<string, unknown> }[]) {
    if (typeof entry?.digest !== "string") continue;
    const p = entry.platform;
    const platform =
      p && typeof p.os === "string" && typeof p.architecture === "string"
        ? [p.os, p.architecture, typeof p.variant === "string" ? p.variant : ""].filter(Boolean).join("/")
        : null;
    children.push({ digest: entry.digest, platform });
  }
  return { ok: true, isIndex: true, children };
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
