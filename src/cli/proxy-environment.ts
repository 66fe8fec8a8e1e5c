/** The proxies in the environment, for what this process sends itself: the registry resolver, the webhook. */
import { type ProxySettings, readProxySettings } from "../core/proxy.js";
import { UsageError } from "../errors.js";

/**
 * A variable that is no proxy address at all is an error, not a quiet direct connection. One naming a
 * proxy of a kind not supported fails only the requests that would go through it (http-fetch.ts).
 */
export function parseProxyEnvironment(env: Readonly<Record<string, string | undefined>>): ProxySettings {
  const result = readProxySettings(env);
  if (!result.ok) throw new UsageError(result.error);
  return result.settings;
}
