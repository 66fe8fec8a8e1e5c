/**
 * `--image REF`: only the containers whose image is one of these references are considered (as normalized
 * references, so `nginx` is `docker.io/library/nginx:latest`); pods left with none are out of scope, and
 * nothing else is resolved. Pure: returns new pods, the input is not changed.
 */
import { formatImageRef, InvalidImageRefError, parseImageRef } from "./image-ref.js";
import type { Container, Pod } from "./k8s.js";

export function onlyImages(pods: readonly Pod[], keys: ReadonlySet<string>): Pod[] {
  const selected: Pod[] = [];
  for (const pod of pods) {
    const kept = withOnlyImages(pod, keys);
    if (kept) selected.push(kept);
  }
  return selected;
}

/** The pod with only the containers running these references; null when it has none. */
export function withOnlyImages(pod: Pod, keys: ReadonlySet<string>): Pod | null {
  const wanted = (c: Container) => keys.has(normalized(c.image ?? ""));
  const containers = pod.spec.containers.filter(wanted);
  const initContainers = pod.spec.initContainers?.filter(wanted) ?? [];
  if (containers.length + initContainers.length === 0) return null;
  return { ...pod, spec: { ...pod.spec, containers, initContainers } };
}

/** The key an image is compared by; an invalid reference matches nothing. */
function normalized(image: string): string {
  try {
    return formatImageRef(parseImageRef(image));
  } catch (error) {
    if (error instanceof InvalidImageRefError) return "";
    throw error;
  }
}
