/** How install-cron names an object: to kubectl, in messages as kubectl does, and among its own. Pure. */

import { kindResources } from "../../core/kind-resources.js";

function resourceOf(kind: string): string {
  return Object.hasOwn(kindResources, kind)
    ? kindResources[kind as keyof typeof kindResources]
    : kind.toLowerCase();
}

/** `cronjobs.batch/NAME`, the form kubectl takes as an argument to get or delete one object. */
export function resourceRef(object: { kind?: string; metadata: { name: string } }): string {
  return `${resourceOf(object.kind ?? "")}/${object.metadata.name}`;
}

/** `cronjob.batch/NAME`, the way kubectl names an object in its messages. */
export function objectRef(kind: string, name: string): string {
  const resource = resourceOf(kind);
  const dot = resource.indexOf(".");
  const singular = kind.toLowerCase();
  return dot >= 0 ? `${singular}${resource.slice(dot)}/${name}` : `${singular}/${name}`;
}

/** `Kind/name`, which tells one object of an installation from the others. */
export function objectKey(object: { kind?: string; metadata: { name: string } }): string {
  return `${object.kind}/${object.metadata.name}`;
}
