/** `--insecure-registry` values, in the form registry hosts are compared in. Pure. */
import { isRegistryHost } from "../../core/image-ref.js";

/**
 * `HOST[:PORT]` as it is compared with an image's registry: lowercased, with a scheme or trailing slash
 * (as people paste them from docker's daemon.json or a URL) removed. Null when it is not a host: a path,
 * spaces, an empty value.
 */
export function parseRegistryHost(value: string): string | null {
  const host = value
    .trim()
    .replace(/^https?:\/\//i, "")
    .replace(/\/+$/, "")
    .toLowerCase();
  return isRegistryHost(host) ? host : null;
}
