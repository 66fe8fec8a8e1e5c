/** The proxies in the environment, for what this process sends itself: the registry resolver, the webhook. */
import { type ProxySettings, readProxySettings } from "../core/proxy.js";
import { UsageError } from "../errors.js";

/** A variable naming no proxy this process can use is an error, not a quiet direct connection. */
export function parseProxyEnvironment(env: Readonly<Record<string, string | undefined>>): ProxySettings {
  const result = readProxySettings(env);
  if (!result.ok) {
    throw new UsageError(
      `${result.error}; kubectl-autoupdate needs an http:// proxy, e.g. http://proxy.example:3128`,
    );
  }
  return result.settings;
}
