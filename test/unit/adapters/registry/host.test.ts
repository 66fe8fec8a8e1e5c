import { describe, expect, it } from "vitest";
import { parseRegistryHost } from "../../../../src/adapters/registry/host.js";

describe("--insecure-registry values", () => {
  it.each([
    ["registry.lan:5000", "registry.lan:5000"],
    ["Registry.LAN:5000", "registry.lan:5000"],
    ["http://registry.lan:5000/", "registry.lan:5000"],
    ["https://registry.lan", "registry.lan"],
    ["10.0.0.7:5000", "10.0.0.7:5000"],
    ["[fd00::7]:5000", "[fd00::7]:5000"],
    // As an image may name it (ci_cache.example.com/team/app), the kubelet pulling from it.
    ["ci_cache.example.com", "ci_cache.example.com"],
  ])("%s → %s", (value, host) => {
    expect(parseRegistryHost(value)).toBe(host);
  });

  it.each(["", "registry.lan/team", "http://", "a b", "-bad.host", "registry.lan:port"])(
    "%j is not a host",
    (value) => {
      expect(parseRegistryHost(value)).toBeNull();
    },
  );
});
