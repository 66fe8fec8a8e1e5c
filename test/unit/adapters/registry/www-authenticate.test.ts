import { describe, expect, it } from "vitest";
import {
  parseChallenges,
  pullScope,
  registryAuthScheme,
} from "../../../../src/adapters/registry/www-authenticate.js";

describe("WWW-Authenticate", () => {
  it("reads a registry's Bearer challenge with quoted parameters", () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/nginx:pull",
        },
      },
    ]);
  });

  it("splits several challenges in one value and keeps commas inside quotes", () => {
    const parsed = parseChallenges(
      'Basic realm="a, b", Bearer realm="https://r.example/t",scope="repository:x:pull,push", error="insufficient_scope"',
    );
    expect(parsed.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(parsed[0]!.params).toEqual({ realm: "a, b" });
    expect(parsed[1]!.params["scope"]).toBe("repository:x:pull,push");
    expect(parsed[1]!.params["error"]).toBe("insufficient_scope");
  });

  it("handles escapes, unquoted values, case and garbage", () => {
    expect(parseChallenges('BEARER Realm=https://x/t, Service="s\\"q"')).toEqual([
      { scheme: "bearer", params: { realm: "https://x/t", service: 's"q' } },
    ]);
    expect(parseChallenges("")).toEqual([]);
    expect(parseChallenges("=,,=")).toEqual([]);
  });

  it("prefers Bearer with a realm over Basic; none when neither is usable", () => {
    expect(registryAuthScheme('Basic realm="x", Bearer realm="https://t/",service="s"')).toEqual({
      scheme: "bearer",
      realm: "https://t/",
      service: "s",
      scope: null,
    });
    expect(
      registryAuthScheme(
        'Basic realm="https://123.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
      ),
    ).toEqual({
      scheme: "basic",
    });
    expect(registryAuthScheme('Bearer service="no-realm"')).toBeNull();
    expect(registryAuthScheme("Negotiate abc")).toBeNull();
    expect(registryAuthScheme(null)).toBeNull();
    expect(pullScope("library/nginx")).toBe("repository:library/nginx:pull");
  });
});
