/**
 * Images written straight into a real registry through its API, with what a build tool would choose: the
 * config's `created` time and labels, the manifest's annotations (so two manifests can share one config),
 * the platform. The layer is a real gzipped tar, so docker can pull the result.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

export interface CraftedImage {
  /** The one file's content: different content, different image. */
  content: string;
  /** RFC 3339, as the config states it; omit for a config without `created`. */
  created?: string;
  labels?: Record<string, string>;
  /** On the manifest: the same image under another manifest digest. */
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

const sha256 = (data: Buffer | string) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
const configType = "application/vnd.oci.image.config.v1+json";
const layerType = "application/vnd.oci.image.layer.v1.tar+gzip";
const ociManifestType = "application/vnd.oci.image.manifest.v1+json";

/**
 * Pushes the image as `repository:tag` (or only by digest when `tag` is null); returns the manifest digest.
 */
export async function pushCraftedImage(
  host: string,
  repository: string,
  tag: string | null,
  image: CraftedImage,
): Promise<{ manifest: string; config: string }> {
  const tar = tarOf("content", image.content);
  const layer = gzipSync(tar, { level: 9 });
  const platform = image.platform ?? { os: "linux", architecture: "amd64" };
  const config = Buffer.from(
    JSON.stringify({
      ...(image.created !== undefined ? { created: image.created } : {}),
      ...platform,
      config: { Labels: image.labels ?? {} },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }),
  );
  await uploadBlob(host, repository, layer);
  await uploadBlob(host, repository, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: ociManifestType,
    config: { mediaType: configType, size: config.length, digest: sha256(config) },
    layers: [{ mediaType: layerType, size: layer.length, digest: sha256(layer) }],
    ...(image.annotations ? { annotations: image.annotations } : {}),
  });
  const digest = await putManifest(host, repository, tag, manifest, ociManifestType);
  return { manifest: digest, config: sha256(config) };
}

async function putManifest(
  host: string,
  repository: string,
  tag: string | null,
  body: string,
  type: string,
): Promise<string> {
  const digest = sha256(body);
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag ?? digest}`, {
    method: "PUT",
    headers: { "content-type": type },
    body,
  });
  if (response.status !== 201) {
    throw new Error(`registry PUT manifest answered ${response.status}: ${await response.text()}`);
  }
  return digest;
}

async function uploadBlob(host: string, repository: string, data: Buffer): Promise<void> {
  const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: "POST" });
  const location = start.headers.get("location");
  if (start.status !== 202 || !location) throw new Error(`registry blob upload answered ${start.status}`);
  const url = new URL(location, `http://${host}`);
  url.searchParams.set("digest", sha256(data));
  const put = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: new Uint8Array(data),
  });
  if (put.status !== 201) throw new Error(`registry blob PUT answered ${put.status}`);
}

/** A ustar archive holding one regular file, with fixed owner and time (same content, same bytes). */
function tarOf(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, "ascii");
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(data.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, "        ");
  field(156, 1, "0");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  field(148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}
