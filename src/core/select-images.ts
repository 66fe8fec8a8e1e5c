/**
 * `--image REF`: only the containers whose image is one of these references are considered (as normalized
 * references, so `nginx` is `docker.io/library/nginx:latest`); pods left with none are out of scope, and
 * nothing else is resolved. Pure: returns new pods, the input is not changed.
 */

import { IdentityMemo } from "../util/identity-memo.js";
import { formatImageRef, InvalidImageRefError, parseImageRef } from "./image-ref.js";
import type { Container, Pod } from "./k8s.js";

/** What `--image` keeps of a pod: only the containers running these references; null when it has none. */
export type ImageSelection = (pod: Pod) => Pod | null;

/** The selection of these references; each image it meets is parsed once, however many pods run it. */
export function imageSelection(keys: ReadonlySet<string>): ImageSelection {
  const selected = new Map<string, boolean>();
  const wanted = (c: Container) => {
    const image = c.image ?? "";
    let kept = selected.get(image);
    if (kept === undefined) {
      kept = keys.has(normalized(image));
      selected.set(image, kept);
    }
    return kept;
  };
  // A controller's pods share their lists: so do their selections, or all that is worked out once per
  // shared list (decide.ts, images-in-use.ts) would be worked out for every pod.
  const splitOf = new WeakMap<readonly Container[], { kept: Container[]; left: Container[] }>();
  const split = (list: readonly Container[]) => {
    let parts = splitOf.get(list);
    if (parts === undefined) {
      parts = { kept: list.filter(wanted), left: list.filter((c) => !wanted(c)) };
      splitOf.set(list, parts);
    }
    return parts;
  };
  // What it leaves out, init containers first: one list for each pair of shared lists, too.
  const joinedOf = new IdentityMemo<Container[]>();
  const joined = (init: Container[], main: Container[]) =>
    init.length === 0 ? main : joinedOf.get([init, main], () => [...init, ...main]);
  const none = { kept: [], left: [] };
  return (pod) => {
    const main = split(pod.spec.containers);
    const init = pod.spec.initContainers ? split(pod.spec.initContainers) : none;
    if (main.kept.length + init.kept.length === 0) return null;
    const initContainers = pod.spec.initContainers && init.kept;
    const notSelected = joined(init.left, main.left);
    return { ...pod, spec: { ...pod.spec, containers: main.kept, initContainers }, notSelected };
  };
}

export function onlyImages(pods: readonly Pod[], select: ImageSelection): Pod[] {
  const selected: Pod[] = [];
  for (const pod of pods) {
    const kept = select(pod);
    if (kept) selected.push(kept);
  }
  return selected;
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
