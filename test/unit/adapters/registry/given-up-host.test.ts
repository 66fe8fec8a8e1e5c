/**
 * A registry that asked for a pause too long to wait for (Retry-After over 30 s), or was given up on for the
 * run, is asked nothing more for its images: not even the token each would need first (a login with the
 * pull secret, and a request --max-requests counts).
 */
import { describe, expect, it } from "vitest";
import { bearer, ci, fakeFetch, kinds, ref, resolver } from "../../../support/registry/fake-api.js";

const tokenServer = (req: { url: string }) => {
  const url = new URL(req.url);
  return Response.json({ token: `t ${url.searchParams.get("scope")}`, expires_in: 300 });
};

describe("a registry already given up on in the run", () => {
  it.each(["reg.test", "reg.test:443", "REG.test"])(
    "after a Retry-After beyond the cap: no more token requests for its other repositories (%s)",
    async (host) => {
      const { fetch, seen } = fakeFetch((req) => {
        const url = new URL(req.url);
        if (url.host === "auth.test") return tokenServer(req);
        if (url.pathname === "/v2/")
          return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
        return new Response("", { status: 429, headers: { "retry-after": "3600" } });
      });
      const r = resolver(fetch);
      expect(await r.resolveTag(ref(`${host}/app0:1`), [ci])).toMatchObject({ ok: false });
      const mark = seen.length;
      for (let i = 1; i <= 5; i++) {
        expect(await r.resolveTag(ref(`${host}/app${i}:1`), [ci])).toMatchObject({ ok: false });
      }
      // Nothing should be sent for a registry that asked to be left alone for an hour, however it is written.
      expect(kinds(seen.slice(mark))).toEqual([]);
    },
  );

  it("after it stopped answering (given up on): no more token requests for its other repositories", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "auth.test") return tokenServer(req);
      if (url.pathname === "/v2/")
        return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
      return "hang";
    });
    const r = resolver(fetch, {
      timeoutMs: 50,
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 10 },
    });
    // Three requests time out: the registry, which had answered, is given up on.
    for (let i = 0; i < 3; i++) await r.resolveTag(ref(`reg.test/app${i}:1`), [ci]);
    const mark = seen.length;
    for (let i = 3; i < 8; i++) {
      expect(await r.resolveTag(ref(`reg.test/app${i}:1`), [ci])).toMatchObject({ ok: false });
    }
    expect(kinds(seen.slice(mark))).toEqual([]);
  }, 20000);

  it("under --max-requests, another registry's images keep the budget those token requests would have spent", async () => {
    const { fetch } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "auth.test") return tokenServer(req);
      if (url.host === "other.test")
        return new Response(null, {
          status: 200,
          headers: { "docker-content-digest": `sha256:${"b".repeat(64)}` },
        });
      if (url.pathname === "/v2/")
        return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
      return new Response("", { status: 429, headers: { "retry-after": "3600" } });
    });
    // ping + token + HEAD(429) for reg.test, then ping + HEAD for other.test: 5 requests are enough.
    const r = resolver(fetch, { maxRequests: 5 });
    await r.resolveTag(ref("reg.test/app0:1"), [ci]);
    for (let i = 1; i <= 3; i++) await r.resolveTag(ref(`reg.test/app${i}:1`), [ci]);
    expect(await r.resolveTag(ref("other.test/app:1"), [])).toMatchObject({ ok: true });
  });
});
