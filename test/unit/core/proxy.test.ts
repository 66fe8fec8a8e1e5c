import { describe, expect, it } from "vitest";
import {
  type ProxySettings,
  proxyAddress,
  proxyFor,
  readProxySettings,
  unsupportedProxy,
} from "../../../src/core/proxy.js";

function settings(env: Record<string, string>): ProxySettings {
  const result = readProxySettings(env);
  if (!result.ok) throw new Error(result.error);
  return result.settings;
}

/** Where a request to `url` goes: the proxy's host:port, or "direct". */
function route(env: Record<string, string>, url: string): string {
  const proxy = proxyFor(settings(env), new URL(url));
  return proxy === null ? "direct" : proxyAddress(proxy);
}

describe("readProxySettings", () => {
  it("prefers the upper-case variable, and takes the lower-case one when the upper is empty", () => {
    const both = { HTTPS_PROXY: "http://upper:3128", https_proxy: "http://lower:3128" };
    expect(route(both, "https://r.example/v2/")).toBe("upper:3128");
    expect(route({ HTTPS_PROXY: "", https_proxy: "http://lower:3128" }, "https://r.example/v2/")).toBe(
      "lower:3128",
    );
    expect(route({ NO_PROXY: "", no_proxy: "r.example", HTTPS_PROXY: "p:1" }, "https://r.example/")).toBe(
      "direct",
    );
  });

  it("reads a proxy without a scheme as http://, with port 80 when it has none", () => {
    expect(route({ HTTPS_PROXY: "proxy.corp:3128" }, "https://r.example/")).toBe("proxy.corp:3128");
    expect(route({ HTTPS_PROXY: "proxy.corp" }, "https://r.example/")).toBe("proxy.corp:80");
    expect(settings({ HTTPS_PROXY: "user:pa%40ss@proxy.corp:3128" }).https?.password).toBe("pa%40ss");
  });

  it("refuses what is no proxy address, or credentials that are not percent-encoded, naming the variable read", () => {
    expect(readProxySettings({ https_proxy: "http://proxy corp:3128" })).toEqual({
      ok: false,
      error: "https_proxy: not a proxy address (want http://HOST:PORT)",
    });
    const percent = readProxySettings({ HTTP_PROXY: "http://user:50%off@proxy.corp:3128" });
    expect(percent.ok || percent.error).toBe(
      "HTTP_PROXY: its user name or password is not percent-encoded (a % must be written %25)",
    );
  });

  it("reads https:// and SOCKS proxies as given: only their use fails, saying so", () => {
    const socks = settings({ HTTPS_PROXY: "socks5://user:s3cret@127.0.0.1:1080" }).https!;
    expect(unsupportedProxy(socks)).toBe("socks5:// proxies are not supported, only http://");
    expect(unsupportedProxy(settings({ HTTPS_PROXY: "https://proxy.corp" }).https!)).toBe(
      "https:// proxies are not supported, only http://",
    );
    expect(unsupportedProxy(settings({ HTTPS_PROXY: "proxy.corp:3128" }).https!)).toBeNull();
  });

  it("is empty without any variable", () => {
    expect(route({}, "https://r.example/")).toBe("direct");
    expect(route({}, "http://r.example/")).toBe("direct");
  });
});

describe("proxyFor", () => {
  const env = { HTTPS_PROXY: "http://secure-proxy:3128", HTTP_PROXY: "http://plain-proxy:3128" };

  it("takes HTTPS_PROXY for https:// and HTTP_PROXY for http://, each only for its own scheme", () => {
    expect(route(env, "https://r.example/v2/")).toBe("secure-proxy:3128");
    expect(route(env, "http://r.example:5000/v2/")).toBe("plain-proxy:3128");
    expect(route({ HTTPS_PROXY: "secure-proxy:3128" }, "http://r.example/")).toBe("direct");
    expect(route({ HTTP_PROXY: "plain-proxy:3128" }, "https://r.example/")).toBe("direct");
  });

  it.each([
    "https://localhost:5000/v2/",
    "https://127.0.0.1/v2/",
    "https://127.9.8.7:443/",
    "https://[::1]:5000/",
    "https://[::ffff:127.0.0.1]/",
  ])("never proxies loopback: %s", (url) => {
    expect(route(env, url)).toBe("direct");
  });

  it.each([
    // [NO_PROXY, url, route]
    ["*", "https://anything.example/", "direct"],
    [" , ,", "https://r.example/", "secure-proxy:3128"],
    ["corp.example", "https://corp.example/", "direct"],
    ["corp.example", "https://registry.corp.example/", "direct"],
    ["corp.example", "https://notcorp.example/", "secure-proxy:3128"],
    [".corp.example", "https://registry.corp.example/", "direct"],
    [".corp.example", "https://corp.example/", "secure-proxy:3128"],
    ["*.corp.example", "https://a.b.corp.example/", "direct"],
    ["*.corp.example", "https://corp.example/", "secure-proxy:3128"],
    [" Registry.LAN:5000 ", "https://registry.lan:5000/", "direct"],
    ["registry.lan:5000", "https://registry.lan/", "secure-proxy:3128"],
    ["registry.lan:443", "https://registry.lan/", "direct"],
    ["10.0.0.0/8", "https://10.200.3.4:5000/", "direct"],
    ["10.0.0.0/8", "https://11.0.0.1/", "secure-proxy:3128"],
    ["192.168.1.0/23", "https://192.168.0.9/", "direct"],
    ["192.168.1.0/23", "https://192.168.2.1/", "secure-proxy:3128"],
    ["198.51.100.7", "https://198.51.100.7:5000/", "direct"],
    ["198.51.100.7:5000", "https://198.51.100.7:5001/", "secure-proxy:3128"],
    ["198.51.100.7", "https://registry.example/", "secure-proxy:3128"],
    ["2001:db8::/32", "https://[2001:db8:0:1::5]/", "direct"],
    ["2001:db8::/32", "https://[2001:db9::5]/", "secure-proxy:3128"],
    ["2001:db8::1", "https://[2001:db8::1]:5000/", "direct"],
    ["[2001:db8::1]:5000", "https://[2001:db8::1]:5000/", "direct"],
    ["[2001:db8::1]:5000", "https://[2001:db8::1]/", "secure-proxy:3128"],
    ["10.0.0.0/8", "https://[::ffff:10.1.1.1]/", "direct"],
    // Leading zeros make no address (Go's rule), so the rule is a domain that matches no address.
    ["010.0.0.1", "https://10.0.0.1/", "secure-proxy:3128"],
    // An embedded IPv4 address ends an IPv6 address; before "::" it is no address.
    ["1.2.3.4::", "https://[::102:304]/", "secure-proxy:3128"],
    ["::1.2.3.4", "https://[::102:304]/", "direct"],
    // An address rule is not a domain: it does not match a name ending in it, nor the other way round.
    ["1.2.3.4", "https://x.1.2.3.4.example/", "secure-proxy:3128"],
    ["example", "https://10.0.0.1/", "secure-proxy:3128"],
  ])("NO_PROXY=%j: %s goes %s", (noProxy, url, expected) => {
    expect(route({ ...env, NO_PROXY: noProxy }, url)).toBe(expected);
  });
});

describe("proxyAddress", () => {
  it.each([
    ["http://proxy.corp", "proxy.corp:80"],
    ["https://proxy.corp", "proxy.corp:443"],
    ["socks5://proxy.corp", "proxy.corp:1080"],
    ["https://user:pw@proxy.corp:8443", "proxy.corp:8443"],
  ])("%s is named by the port it is reached on: %s", (url, named) => {
    expect(proxyAddress(new URL(url))).toBe(named);
  });
});
