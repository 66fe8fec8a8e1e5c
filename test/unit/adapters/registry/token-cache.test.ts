/**
 * Tokens shared while fetched and kept until they expire; a fetch that failed is no one's answer after it.
 */
import { describe, expect, it } from "vitest";
import { TokenCache } from "../../../../src/adapters/registry/token-cache.js";

describe("TokenCache", () => {
  it("a fetch that threw is not the answer to the next ask of that key", async () => {
    const cache = new TokenCache(() => 0);
    let fetches = 0;
    const fetchToken = async () => {
      fetches++;
      if (fetches === 1) throw new Error("the token server's answer could not be read");
      return { ok: true as const, token: "t", expiresInSeconds: 300 };
    };
    await expect(cache.get("key", fetchToken)).rejects.toThrow("could not be read");
    expect(await cache.get("key", fetchToken)).toEqual({ ok: true, token: "t", expiresInSeconds: 300 });
    expect(fetches).toBe(2);
  });

  it("concurrent asks of one key share one fetch; a later one takes the kept token", async () => {
    const cache = new TokenCache(() => 0);
    let fetches = 0;
    const fetchToken = async () => {
      fetches++;
      return { ok: true as const, token: "t", expiresInSeconds: 300 };
    };
    await Promise.all([cache.get("key", fetchToken), cache.get("key", fetchToken)]);
    expect(await cache.get("key", fetchToken)).toMatchObject({ ok: true, token: "t", cached: true });
    expect(fetches).toBe(1);
  });
});
