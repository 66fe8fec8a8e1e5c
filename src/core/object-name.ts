/** The forms of Kubernetes names, as the API server checks them (apimachinery's validation). Pure. */

import type { Checked } from "../util/checked.js";
import { quotedValue } from "../util/shown-value.js";

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS-1123 label of at most `max` characters (63): a namespace's name, or a CronJob's (shorter). */
export function isDnsLabel(name: string, max = 63): boolean {
  return name.length <= max && dns1123Label.test(name);
}

/**
 * A DNS-1123 subdomain: the name of a Secret, ConfigMap, Pod, ReplicaSet, Deployment, Job… — every object
 * this tool names to kubectl. Text from the cluster that is not one names nothing that can exist.
 */
export function isObjectName(name: string): boolean {
  return name.length <= 253 && dns1123Subdomain.test(name);
}

/**
 * Checks a namespace name (-n, or the kubeconfig's). No namespace can have another name, and one that is no
 * path segment (`a/b`, `..`) would change the path of every request made with it.
 */
export function checkNamespace(namespace: string): Checked<string> {
  if (namespace.length === 0) return { ok: false, message: "--namespace must not be empty" };
  if (!isDnsLabel(namespace)) {
    return {
      ok: false,
      message: `invalid namespace ${quotedValue(namespace)}: want at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit`,
    };
  }
  return { ok: true, value: namespace };
}
