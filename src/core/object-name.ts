/** The forms of Kubernetes names, as the API server checks them (apimachinery's validation). Pure. */

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
