/** A pod's containers as this tool sees them: spec image, parsed reference, and what the node runs. */
import { parseImageId, type RunningImage } from "./image-id.js";
import { formatImageRef, type ImageRef, InvalidImageRefError, parseImageRef } from "./image-ref.js";
import type { Container, ContainerStatus, Pod } from "./k8s.js";

export interface ContainerView {
  name: string;
  init: boolean;
  /** As written in the spec (status.image is not used: containerd rewrites it to repoTags[0]). */
  image: string;
  parsed: { ok: true; ref: ImageRef; key: string } | { ok: false; reason: string };
  running: RunningImage;
  hasStatus: boolean;
  pullPolicy: "Always" | "IfNotPresent" | "Never";
}

/**
 * The lists containersOf reads. A controller's pods share them (one object each, as slimPod makes them):
 * pods whose lists are the same objects have the same views, and what follows from those.
 */
export function containerLists(pod: Pod): readonly unknown[] {
  const { spec, status } = pod;
  return [spec.containers, spec.initContainers, status?.containerStatuses, status?.initContainerStatuses];
}

/** Init containers first, then app containers, each matched to its status by name. */
export function containersOf(pod: Pod): ContainerView[] {
  const views: ContainerView[] = [];
  const initStatuses = pod.status?.initContainerStatuses ?? [];
  const statuses = pod.status?.containerStatuses ?? [];
  for (const c of pod.spec.initContainers ?? []) views.push(view(c, true, initStatuses));
  for (const c of pod.spec.containers ?? []) views.push(view(c, false, statuses));
  return views;
}

function view(container: Container, init: boolean, statuses: ContainerStatus[]): ContainerView {
  const image = container.image ?? "";
  const status = statuses.find((s) => s.name === container.name);
  return {
    name: container.name,
    init,
    image,
    parsed: parsedImages.get(image),
    running: runningImages.get(status?.imageID ?? ""),
    hasStatus: status !== undefined,
    pullPolicy: container.imagePullPolicy ?? pullPolicies.get(image),
  };
}

/**
 * Each distinct image and imageID is parsed once, not once per pod: 150,000 pods name a few hundred.
 * What these return is shared between containers and never changed.
 */
class Memo<T> {
  private readonly known = new Map<string, T>();
  constructor(private readonly compute: (text: string) => T) {}
  get(text: string): T {
    let value = this.known.get(text);
    if (value === undefined) {
      // A long-lived process meeting ever new strings must not grow without end.
      if (this.known.size >= 100_000) this.known.clear();
      value = this.compute(text);
      this.known.set(text, value);
    }
    return value;
  }
}
const parsedImages = new Memo(parse);
const runningImages = new Memo(parseImageId);
const pullPolicies = new Memo(defaultPullPolicy);

/**
 * An image named by its ID (`sha256:<64 hex>`). It parses as the Docker Hub tag library/sha256:<hex>, but the
 * runtimes (containerd's CRI, CRI-O) take it as the local image of that ID: pinned, nothing to ask a
 * registry about.
 */
const imageIdRe = /^sha256:[a-f0-9]{64}$/;

function parse(image: string): ContainerView["parsed"] {
  try {
    const ref = parseImageRef(image);
    if (imageIdRe.test(image)) return { ok: true, ref: { ...ref, tag: null, digest: image }, key: image };
    return { ok: true, ref, key: formatImageRef(ref) };
  } catch (error) {
    if (error instanceof InvalidImageRefError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** The API server's default: Always for `:latest` or no tag, IfNotPresent otherwise (also for digests). */
function defaultPullPolicy(image: string): ContainerView["pullPolicy"] {
  try {
    const ref = parseImageRef(image);
    return ref.digest === null && ref.tag === "latest" ? "Always" : "IfNotPresent";
  } catch {
    return "IfNotPresent";
  }
}
