/**
 * Which proxy a request goes through, from HTTPS_PROXY, HTTP_PROXY and NO_PROXY read as Go programs read
 * them (kubectl, docker, containerd), so one environment means the same thing to all of them:
 *
 * - the upper-case name wins over the lower-case one when both are set and not empty;
 * - a proxy written without a scheme is http://;
 * - localhost and loopback addresses never go through a proxy;
 * - NO_PROXY is a comma-separated list of `*`, IP addresses, CIDR ranges, and domains (`corp.example`
 *   matches it and its subdomains, `.corp.example` and `*.corp.example` only its subdomains); addresses and
 *   domains may end in `:port`.
 *
 * A value that is no address at all is an error; an https:// or SOCKS proxy is read as given, and left to
 * the requests that would use it to fail (only http:// proxies are supported), not bypassed. Pure: the
 * environment is passed in.
 */

import { isLoopback, parseIpAddress, sameAddress, unbracket } from "./ip-address.js";

export interface ProxySettings {
  /** For https:// requests: HTTPS_PROXY, else https_proxy. */
  https: URL | null;
  /** For http:// requests: HTTP_PROXY, else http_proxy. */
  http: URL | null;
  noProxy: NoProxy;
}

/** Requests that go direct although a proxy is set. */
type NoProxy =
  | { all: true }
  | { all: false; addresses: AddressRule[]; ranges: RangeRule[]; domains: DomainRule[] };

interface AddressRule {
  address: Uint8Array;
  port: string;
}

interface RangeRule {
  network: Uint8Array;
  prefixBits: number;
}

interface DomainRule {
  /** Always with a leading dot: matched as a suffix. */
  suffix: string;
  /** Also the domain itself (the rule was written without a leading dot or `*.`). */
  orItself: boolean;
  port: string;
}

/** Every request direct. */
export const directOnly: ProxySettings = Object.freeze({
  https: null,
  http: null,
  noProxy: { all: true as const },
});

type ProxySettingsResult = { ok: true; settings: ProxySettings } | { ok: false; error: string };

/** The settings in `env`; an error names the variable and what is wrong with it, never its value. */
export function readProxySettings(env: Readonly<Record<string, string | undefined>>): ProxySettingsResult {
  const noProxy = parseNoProxy(either(env, "NO_PROXY").value);
  const settings: ProxySettings = { https: null, http: null, noProxy };
  for (const [key, upper] of [
    ["https", "HTTPS_PROXY"],
    ["http", "HTTP_PROXY"],
  ] as const) {
    const { name, value } = either(env, upper);
    if (value === "") continue;
    const proxy = parseProxyUrl(value);
    if (typeof proxy === "string") return { ok: false, error: `${name}: ${proxy}` };
    settings[key] = proxy;
  }
  return { ok: true, settings };
}

/** The proxy `url` goes through, or null for a direct connection. */
export function proxyFor(settings: ProxySettings, url: URL): URL | null {
  const proxy = url.protocol === "https:" ? settings.https : url.protocol === "http:" ? settings.http : null;
  if (proxy === null) return null;
  const host = unbracket(url.hostname);
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return goesDirect(settings.noProxy, host, port) ? null : proxy;
}

/**
 * `host:port` of a proxy: all that is ever shown of it (its URL may carry credentials). Its port when the URL
 * names none is the one Go's clients (kubectl, docker) would reach it on: 443 for https, 1080 for SOCKS.
 */
export function proxyAddress(proxy: URL): string {
  const port =
    proxy.port || (proxy.protocol === "https:" ? "443" : proxy.protocol.startsWith("socks") ? "1080" : "80");
  return `${proxy.hostname}:${port}`;
}

/** The upper-case variable if set and not empty, else the lower-case one; which one it was. */
function either(
  env: Readonly<Record<string, string | undefined>>,
  upper: string,
): { name: string; value: string } {
  const name = env[upper]?.trim() ? upper : upper.toLowerCase();
  return { name, value: env[name]?.trim() ?? "" };
}

/** A proxy's address as the variables take it (no scheme: http://); a string says what is wrong with it. */
export function parseProxyUrl(value: string): URL | string {
  const url = tryUrl(value.includes("://") ? value : `http://${value}`);
  if (url === null || url.hostname === "") return "not a proxy address (want http://HOST:PORT)";
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return "its user name or password is not percent-encoded (a % must be written %25)";
  }
  return url;
}

/** Why a proxy cannot be used, or null: only http:// proxies are. */
export function unsupportedProxy(proxy: URL): string | null {
  return proxy.protocol === "http:" ? null : `${proxy.protocol}// proxies are not supported, only http://`;
}

function tryUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function parseNoProxy(value: string): NoProxy {
  const addresses: AddressRule[] = [];
  const ranges: RangeRule[] = [];
  const domains: DomainRule[] = [];
  for (const raw of value.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return { all: true };
    const range = parseRange(entry);
    if (range) {
      ranges.push(range);
      continue;
    }
    const { host, port } = splitPort(entry);
    if (host === "") continue;
    const address = parseIpAddress(host);
    if (address) {
      addresses.push({ address, port });
      continue;
    }
    let domain = host.startsWith("*.") ? host.slice(1) : host;
    const orItself = !domain.startsWith(".");
    if (orItself) domain = `.${domain}`;
    domains.push({ suffix: asciiDomain(domain), orItself, port });
  }
  return { all: false, addresses, ranges, domains };
}

function goesDirect(noProxy: NoProxy, host: string, port: string): boolean {
  if (isLoopback(host) || noProxy.all) return true;
  const address = parseIpAddress(host);
  if (address) {
    return (
      noProxy.ranges.some((rule) => inRange(address, rule)) ||
      noProxy.addresses.some(
        (rule) => sameAddress(address, rule.address) && (!rule.port || rule.port === port),
      )
    );
  }
  return noProxy.domains.some(
    (rule) =>
      (host.endsWith(rule.suffix) || (rule.orItself && host === rule.suffix.slice(1))) &&
      (!rule.port || rule.port === port),
  );
}

/** `host:port`, `[v6]:port` or a bare host; a bare IPv6 address has no port. */
function splitPort(entry: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]*)\]:(\d*)$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2]! };
  const hostPort = /^([^:]*):(\d*)$/.exec(entry);
  if (hostPort) return { host: hostPort[1]!, port: hostPort[2]! };
  return { host: unbracket(entry), port: "" };
}

function asciiDomain(domain: string): string {
  if (/^[\x00-\x7f]*$/.test(domain)) return domain;
  const url = tryUrl(`http://x${domain}`);
  return url ? url.hostname.slice(1) : domain;
}

function parseRange(entry: string): RangeRule | null {
  const slash = entry.indexOf("/");
  if (slash < 0 || !/^\d{1,3}$/.test(entry.slice(slash + 1))) return null;
  const address = parseIpAddress(entry.slice(0, slash));
  const prefixBits = Number(entry.slice(slash + 1));
  if (!address || prefixBits > address.length * 8) return null;
  return { network: address, prefixBits };
}

function inRange(address: Uint8Array, { network, prefixBits }: RangeRule): boolean {
  if (address.length !== network.length) return false;
  for (let bit = 0; bit < prefixBits; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, prefixBits - bit))) & 0xff;
    if ((address[bit / 8]! & mask) !== (network[bit / 8]! & mask)) return false;
  }
  return true;
}
