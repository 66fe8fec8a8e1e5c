/**
 * Images a real node can run, written byte by byte and pushed with the registry API: no Docker engine, no
 * base image. Each image has two uncompressed layers: /sleeper (the test bed's static program, which prints
 * /content and waits for SIGTERM; build-node.sh's sleeper-layer.tar) and /content. So the content decides the
 * config digest, and the manifest (annotations) can vary on its own: "same config under another manifest
 * digest" and "an index whose child is another tag's manifest" are one call each.
 *
 *   const images = new ImagePusher(registry.host, node.bin);
 *   const main = await images.image("app", "v1", { tag: "main" });
 *   await images.index("app", [main, await images.image("app", "v1-arm", { arch: "arm64" })], { tag: "multi" });
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ociManifest = "application/vnd.oci.image.manifest.v1+json";
const ociIndex = "application/vnd.oci.image.index.v1+json";
const ociConfig = "application/vnd.oci.image.config.v1+json";
const ociLayer = "application/vnd.oci.image.layer.v1.tar";

/** A manifest or index as pushed: its exact bytes, so it can be tagged again or put in an index. */
export interface Pushed {
  repository: string;
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** The config digest (what containerd keys images by); null for an index. */
  config: string | null;
  /** The platform, for a manifest. */
  arch: string | null;
}

export interface ImageOptions {
  /** Also tag it (a manifest pushed without a tag is named by its digest only). */
  tag?: string;
  /** The config's architecture (default amd64; the sleeper runs on amd64 only). */
  arch?: string;
  /** Manifest annotations: a different manifest digest for the same config. */
  annotations?: Record<string, string>;
}

const sha256 = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** A tar holding one file, deterministic (mtime 0, root-owned), as a layer. */
function singleFileTar(name: string, content: Buffer, mode = 0o644): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, "ascii");
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");
  field(0, 100, name);
  field(100, 8, octal(mode, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(content.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, "        ");
  field(156, 1, "0");
  field(257, 6, "ustar");
  field(263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${octal(sum, 7)}\0`);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export class ImagePusher {
  private readonly sleeperLayer: Buffer;
  private readonly authorization: string | undefined;

  /** `nodeBin`: the real node's bin directory (RealNode.bin), which holds sleeper-layer.tar. */
  constructor(
    readonly host: string,
    nodeBin: string,
    auth?: { user: string; password: string },
  ) {
    this.sleeperLayer = readFileSync(join(nodeBin, "sleeper-layer.tar"));
    this.authorization = auth
      ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`
      : undefined;
  }

  /** Pushes an image whose /content is `content`; returns its manifest. */
  async image(repository: string, content: string, options: ImageOptions = {}): Promise<Pushed> {
    const arch = options.arch ?? "amd64";
    const contentLayer = singleFileTar("content", Buffer.from(content));
    const layers = [this.sleeperLayer, contentLayer];
    const config = Buffer.from(
      JSON.stringify({
        architecture: arch,
        os: "linux",
        config: { Entrypoint: ["/sleeper"] },
        rootfs: { type: "layers", diff_ids: layers.map(sha256) },
      }),
    );
    for (const blob of [...layers, config]) await this.pushBlob(repository, blob);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: ociManifest,
        config: { mediaType: ociConfig, digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: ociLayer, digest: sha256(l), size: l.length })),
        ...(options.annotations ? { annotations: options.annotations } : {}),
      }),
    );
    const pushed: Pushed = {
      repository,
      digest: sha256(manifest),
      mediaType: ociManifest,
      bytes: manifest,
      config: sha256(config),
      arch,
    };
    await this.putManifest(pushed, options.tag ?? pushed.digest);
    return pushed;
  }

  /**
   * Pushes an index of these manifests (each with its linux/<arch> platform); they must be in `repository`
   * already. `annotations` vary the index digest alone.
   */
  async index(
    repository: string,
    children: Pushed[],
    options: { tag?: string; annotations?: Record<string, string> } = {},
  ): Promise<Pushed> {
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: ociIndex,
        manifests: children.map((c) => ({
          mediaType: c.mediaType,
          digest: c.digest,
          size: c.bytes.length,
          platform: { architecture: c.arch ?? "amd64", os: "linux" },
        })),
        ...(options.annotations ? { annotations: options.annotations } : {}),
      }),
    );
    const pushed: Pushed = {
      repository,
      digest: sha256(bytes),
      mediaType: ociIndex,
      bytes,
      config: null,
      arch: null,
    };
    await this.putManifest(pushed, options.tag ?? pushed.digest);
    return pushed;
  }

  /** Points `tag` of the manifest's repository at it (a tag move, as a CI pipeline's push does). */
  async tag(pushed: Pushed, tag: string): Promise<void> {
    await this.putManifest(pushed, tag);
  }

  /** Deletes the manifest from the registry (its tags go with it), as a registry's retention policy does. */
  async remove(pushed: Pushed): Promise<void> {
    const response = await this.request("DELETE", `/v2/${pushed.repository}/manifests/${pushed.digest}`);
    if (response.status !== 202)
      throw new Error(`manifest DELETE ${pushed.digest} answered ${response.status}`);
  }

  /** `host/repository:tag` or `host/repository@digest`. */
  ref(repository: string, tagOrDigest: string): string {
    return tagOrDigest.startsWith("sha256:")
      ? `${this.host}/${repository}@${tagOrDigest}`
      : `${this.host}/${repository}:${tagOrDigest}`;
  }

  private async request(method: string, path: string, body?: Buffer, type?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.authorization) headers["authorization"] = this.authorization;
    if (type) headers["content-type"] = type;
    const url = path.startsWith("http") ? path : `http://${this.host}${path}`;
    return fetch(url, { method, headers, ...(body ? { body: new Uint8Array(body) } : {}) });
  }

  private async pushBlob(repository: string, blob: Buffer): Promise<void> {
    const digest = sha256(blob);
    const head = await this.request("HEAD", `/v2/${repository}/blobs/${digest}`);
    if (head.status === 200) return;
    const start = await this.request("POST", `/v2/${repository}/blobs/uploads/`);
    const location = start.headers.get("location");
    if (start.status !== 202 || !location)
      throw new Error(`blob upload to ${repository} answered ${start.status}`);
    const url = new URL(location, `http://${this.host}`);
    url.searchParams.set("digest", digest);
    const put = await this.request("PUT", url.toString(), blob, "application/octet-stream");
    if (put.status !== 201) throw new Error(`blob PUT ${digest} to ${repository} answered ${put.status}`);
  }

  private async putManifest(pushed: Pushed, reference: string): Promise<void> {
    const path = `/v2/${pushed.repository}/manifests/${reference}`;
    const response = await this.request("PUT", path, pushed.bytes, pushed.mediaType);
    if (response.status !== 201) {
      throw new Error(`manifest PUT ${path} answered ${response.status}: ${await response.text()}`);
    }
    const echoed = response.headers.get("docker-content-digest");
    if (echoed !== pushed.digest)
      throw new Error(`registry stored ${path} as ${echoed}, not ${pushed.digest}`);
  }
}
