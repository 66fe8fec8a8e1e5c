/**
 * A node's container runtime, as far as pod status shows it: its image store (keyed by config digest, as
 * containerd's CRI store, CRI-O's and docker's classic store are) and the forms of `imageID`, `image` and
 * `containerID` each runtime reports (see ../shared/reference/image-digests-and-registries.md §1):
 *   containerd   imageID docker.io/library/x@<digest the tag resolved to: the index digest if multi-arch>
 *                image   repoTags[0], fully qualified (docker.io/library/x:tag)     containerd://<id>
 *                        (the config digest sha256:… when no tag names the image)
 *   cri-dockerd  imageID docker-pullable://<familiar repo>@<digest the tag resolved to>
 *                image   RepoTags[0], familiar (x:tag)                              docker://<id>
 *   CRI-O        imageID <fully qualified repo>@<platform manifest digest>
 *                image   the spec image, fully qualified                            cri-o://<id>
 * Every runtime lists an image's repo digests sorted and reports the first, so when a tag moves to new bytes
 * of the same image (same config) the older digest can stay in imageID (the "endless restart" trap). For
 * containerd this is checked against a real one: test/e2e/real-node/runtime-forms.test.ts requires the
 * same strings.
 */
import { createHash } from "node:crypto";
import { familiarRepo, type ImageName, parseImageName, qualifiedRef, qualifiedRepo } from "./image-name.js";
import type { Pulled } from "./registry-pull.js";

export type Runtime = "containerd" | "cri-o" | "docker";

/** `status.nodeInfo.containerRuntimeVersion` per runtime (docker: cri-dockerd in front of Docker Engine). */
export const runtimeVersions: Record<Runtime, string> = {
  containerd: "containerd://1.7.24",
  "cri-o": "cri-o://1.30.6",
  docker: "docker://26.1.5",
};

const containerIdScheme: Record<Runtime, string> = {
  containerd: "containerd",
  "cri-o": "cri-o",
  docker: "docker",
};

/** One image in a node's store. */
export interface StoredImage {
  /** The config digest. */
  id: string;
  /** `domain/path:tag`, fully qualified; a tag names one image at a time. */
  repoTags: Set<string>;
  /** `domain/path@digest`, fully qualified; they accumulate. */
  repoDigests: Set<string>;
  platformDigest: string;
}

export class ImageStore {
  readonly images = new Map<string, StoredImage>();

  constructor(readonly runtime: Runtime) {}

  /** The image `name` refers to on this node, if present (by tag, or by digest when pinned). */
  find(name: ImageName): StoredImage | undefined {
    if (name.digest !== null) {
      const wanted = `${qualifiedRepo(name)}@${name.digest}`;
      return [...this.images.values()].find((image) => image.repoDigests.has(wanted));
    }
    const ref = qualifiedRef(name);
    return [...this.images.values()].find((image) => image.repoTags.has(ref));
  }

  /** Records a pull: the tag moves to the pulled image; the repo digest is added to it. */
  record(name: ImageName, pulled: Pulled): StoredImage {
    let image = this.images.get(pulled.configDigest);
    if (!image) {
      image = {
        id: pulled.configDigest,
        repoTags: new Set(),
        repoDigests: new Set(),
        platformDigest: pulled.platformDigest,
      };
      this.images.set(image.id, image);
    }
    image.platformDigest = pulled.platformDigest;
    if (name.tag !== null) {
      const ref = qualifiedRef(name);
      for (const other of this.images.values()) other.repoTags.delete(ref);
      image.repoTags.add(ref);
    }
    // CRI-O keeps the platform manifest's digest; containerd and docker the digest the reference resolved to.
    const digest = this.runtime === "cri-o" ? pulled.platformDigest : pulled.digest;
    image.repoDigests.add(`${qualifiedRepo(name)}@${digest}`);
    // Pulled by digest: that digest names it too (the platform manifest's, for CRI-O as well).
    if (name.digest !== null) image.repoDigests.add(`${qualifiedRepo(name)}@${name.digest}`);
    return image;
  }

  /** `status.containerStatuses[].imageID` of a container started from `image`. */
  imageID(image: StoredImage): string {
    const first = [...image.repoDigests].sort()[0];
    if (first === undefined) return image.id;
    if (this.runtime === "docker") return `docker-pullable://${familiar(first)}`;
    return first;
  }

  /** `status.containerStatuses[].image` of a container started from `image` for `spec`. */
  statusImage(image: StoredImage, spec: string): string {
    const name = parseImageName(spec);
    if (this.runtime === "cri-o") return qualifiedRef(name);
    const tag = [...image.repoTags].sort()[0];
    if (this.runtime === "docker") return tag ? familiar(tag) : spec;
    // An image no tag names (pulled by digest): containerd shows the image ID the kubelet created it by.
    return tag ?? image.id;
  }

  /** A container ID in the runtime's form; stable per pod, container and attempt. */
  containerID(podUid: string, container: string, attempt = 0): string {
    const id = createHash("sha256").update(`${podUid}/${container}/${attempt}`).digest("hex");
    return `${containerIdScheme[this.runtime]}://${id}`;
  }
}

/** `docker.io/library/nginx@sha256:…` → `nginx@sha256:…` (docker's RepoTags/RepoDigests form). */
function familiar(qualified: string): string {
  const at = qualified.search(/[@]|:(?=[^/:]+$)/);
  const repo = at === -1 ? qualified : qualified.slice(0, at);
  const suffix = at === -1 ? "" : qualified.slice(at);
  const [domain, ...path] = repo.split("/");
  return `${familiarRepo({ domain: domain!, path: path.join("/"), tag: null, digest: null })}${suffix}`;
}
