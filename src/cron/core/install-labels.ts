/**
 * The labels that mark an installation's objects as its own, and the selectors that find them: several
 * installations share a cluster, and none may take over or delete another's objects. Pure.
 */

import { fieldManager } from "../../core/k8s.js";
import { onlyRecordEntries } from "../../core/restart-record.js";
import type { InstallObject } from "./install-objects.js";
import { objectKey, objectRef } from "./object-refs.js";

/** Label keys every object carries; `instance` tells several installations apart. */
const labelKeys = {
  name: "app.kubernetes.io/name",
  managedBy: "app.kubernetes.io/managed-by",
  instance: "app.kubernetes.io/instance",
  /** On cluster-scoped objects only: the namespace of the installation they belong to. */
  namespace: "kubectl-autoupdate/namespace",
} as const;

/** Labels of every object of one installation. */
export function installLabels(name: string): Record<string, string> {
  return {
    [labelKeys.name]: "kubectl-autoupdate",
    [labelKeys.managedBy]: fieldManager,
    [labelKeys.instance]: name,
  };
}

/** Labels of an -A install's cluster-scoped objects: the installation's, and the namespace it is in. */
export function clusterInstallLabels(name: string, namespace: string): Record<string, string> {
  return { ...installLabels(name), [labelKeys.namespace]: namespace };
}

/**
 * Which of the objects already there under the installation's names someone else made: they lack its
 * labels. install-cron must not take them over (server-side apply with --force-conflicts would), since
 * uninstall-cron would then delete them as its own. A record ConfigMap holding only this tool's entries
 * is its own: an `apply` by hand sharing the record made it again after it was deleted.
 */
export function othersObjects(
  wanted: readonly InstallObject[],
  existing: readonly {
    kind?: string;
    metadata: { name: string; labels?: Record<string, string> };
    data?: Record<string, string>;
    binaryData?: Record<string, string>;
  }[],
): string[] {
  const labelsOf = new Map(wanted.map((o) => [objectKey(o), o.metadata.labels]));
  const others: string[] = [];
  for (const object of existing) {
    const labels = labelsOf.get(objectKey(object));
    if (!labels || isRecordMadeByHand(object)) continue;
    const ours = [labelKeys.managedBy, labelKeys.instance, labelKeys.namespace].every(
      (key) => labels[key] === undefined || object.metadata.labels?.[key] === labels[key],
    );
    if (!ours) others.push(objectRef(object.kind ?? "", object.metadata.name));
  }
  return others;
}

/** A ConfigMap with no labels and nothing but record entries: `apply` made it, as its record. */
function isRecordMadeByHand(object: {
  kind?: string;
  metadata: { labels?: Record<string, string> };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}): boolean {
  return (
    object.kind === "ConfigMap" &&
    Object.keys(object.metadata.labels ?? {}).length === 0 &&
    object.binaryData === undefined &&
    onlyRecordEntries(object.data)
  );
}

/** Whether an object carries the labels of the installation of that name: install-cron made it. */
export function isInstallations(
  object: { metadata: { labels?: Record<string, string> } },
  name: string,
): boolean {
  const labels = object.metadata.labels ?? {};
  return labels[labelKeys.managedBy] === fieldManager && labels[labelKeys.instance] === name;
}

/** The selector that finds every installation's namespaced objects. */
export const managedSelector = `${labelKeys.managedBy}=${fieldManager}`;

/** The selector that finds an installation's namespaced objects. */
export function installSelector(name: string): string {
  return `${managedSelector},${labelKeys.instance}=${name}`;
}

/** The selector that finds an installation's cluster-scoped objects. */
export function clusterInstallSelector(name: string, namespace: string): string {
  return `${installSelector(name)},${labelKeys.namespace}=${namespace}`;
}
