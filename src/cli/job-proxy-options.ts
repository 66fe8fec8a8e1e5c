/**
 * install-cron's --proxy, --proxy-secret and --proxy-bypass: the proxy the CronJob's runs go through. A URL
 * given here ends up in the CronJob's spec, so one with credentials is refused with the way to a Secret.
 */

import { parseProxyUrl, unsupportedProxy } from "../core/proxy.js";
import type { JobProxy } from "../cron/core/installation.js";
import { checkSecretName } from "../cron/core/names.js";
import { UsageError } from "../errors.js";
import { quotedValue } from "../util/shown-value.js";
import { checkedValue } from "./options.js";

export interface RawJobProxyFlags {
  proxy?: string;
  proxySecret?: string;
  proxyBypass?: string;
}

/** What --proxy-bypass takes: hosts, domains, `*.` globs, IP addresses, CIDR ranges, ports. */
const bypassEntry = /^[a-z0-9.*:[\]/_-]+$/i;

/**
 * With --resolver docker the engine pulls through its own proxy settings, but the docker CLI reads the
 * manifests itself, from the job's pod: it goes through this proxy too, as the webhook does.
 */
export function parseJobProxy(raw: RawJobProxyFlags): JobProxy | undefined {
  if (raw.proxy !== undefined && raw.proxySecret !== undefined) {
    throw new UsageError("give --proxy or --proxy-secret, not both");
  }
  if (raw.proxy === undefined && raw.proxySecret === undefined) {
    if (raw.proxyBypass !== undefined) throw new UsageError("--proxy-bypass needs --proxy or --proxy-secret");
    return undefined;
  }
  const bypass = (raw.proxyBypass ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const bad = bypass.find((entry) => !bypassEntry.test(entry));
  if (bad !== undefined) {
    throw new UsageError(
      `invalid --proxy-bypass entry ${quotedValue(bad)}: want hosts, domains, IP addresses or CIDR ranges, comma-separated`,
    );
  }
  if (raw.proxySecret !== undefined) {
    return { secret: checkedValue(checkSecretName(raw.proxySecret, "--proxy-secret")), bypass };
  }
  const value = raw.proxy!.trim();
  if (value.includes("$(")) throw new UsageError("invalid --proxy: the kubelet would expand its $(…)");
  const url = parseProxyUrl(value);
  // No message quotes the value: it may carry a password.
  if (typeof url === "string") throw new UsageError(`invalid --proxy: ${url}`);
  const unsupported = unsupportedProxy(url);
  if (unsupported !== null) throw new UsageError(`invalid --proxy: ${unsupported}`);
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(
      "install-cron takes no proxy credentials: they would be in the CronJob's spec for anyone who can read " +
        "it. Put the proxy URL in a Secret (kubectl create secret generic NAME --from-file=url=FILE) and pass " +
        "--proxy-secret NAME",
    );
  }
  // A token in its path or query would be in the CronJob's spec as well: a proxy URL has neither.
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw new UsageError(
      "invalid --proxy: a proxy URL has no path, query or fragment (scheme://host:port); one that needs them goes in a Secret (--proxy-secret NAME)",
    );
  }
  return { url: value, bypass };
}
