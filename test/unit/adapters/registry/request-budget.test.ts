/** --max-requests: the resolver sends no request beyond the budget, and what it could not ask is unknown. */
import { describe, expect, it } from "vitest";
import { RequestBudget, RequestBudgetSpentError } from "../../../../src/adapters/registry/request-budget.js";
import {
  ci,
  dockerManifest,
  fakeFetch,
  INDEX,
  indexBody,
  MANIFEST,
  manifestBody,
  ociIndex,
  ref,
  resolver,
  tokenRegistry,
} from "../../../support/registry/fake-api.js";

const spent = (max: number) => `not asked: the run's ${max} registry requests (--max-requests) were spent`;

describe("RequestBudget", () => {
  it("lets `max` requests through, then throws for each one more and counts it", () => {
    const budget = new RequestBudget(2);
    budget.take();
    budget.take();
    expect(budget.warning()).toBeNull();
    expect(() => budget.take()).toThrow(RequestBudgetSpentError);
    expect(() => budget.take()).toThrow(spent(2));
    expect(budget.refused).toBe(2);
    expect(budget.warning()).toBe(
      "registry: --max-requests 2: every request it allows was sent, and more were needed: containers whose " +
        "verdict needed them are unknown and left alone (the plan says which), and a new image may lack its " +
        "build time; raise --max-requests or narrow the scope",
    );
  });

  it("without a maximum, never refuses", () => {
    const budget = new RequestBudget();
    for (let i = 0; i < 10_000; i++) budget.take();
    expect(budget.refused).toBe(0);
  });
});

describe("registry resolver under --max-requests", () => {
  const plain = () =>
    fakeFetch((req) => {
      if (req.url.endsWith("/v2/")) return new Response("{}");
      const isIndex = req.url.includes("/multi/");
      const body = isIndex ? indexBody : manifestBody;
      const headers = {
        "content-type": isIndex ? ociIndex : dockerManifest,
        "docker-content-digest": isIndex ? INDEX : MANIFEST,
      };
      return new Response(req.method === "HEAD" ? null : body, { headers });
    });

  it("the version check and one HEAD fit in 2: the next tag is unknown, not sent, and a warning says so", async () => {
    const { fetch, seen } = plain();
    const r = resolver(fetch, { maxRequests: 2 });
    expect(await r.resolveTag(ref("reg.test/a:1"), [])).toMatchObject({ ok: true });
    expect(await r.resolveTag(ref("reg.test/b:1"), [])).toEqual({ ok: false, reason: spent(2) });
    expect(seen.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      "GET /v2/",
      "HEAD /v2/a/manifests/1",
    ]);
    expect(r.warnings()).toEqual([
      expect.stringContaining("--max-requests 2: every request it allows was sent"),
    ]);
  });

  it("a manifest read by digest that does not fit is unknown, never taken as missing", async () => {
    const { fetch, seen } = plain();
    const r = resolver(fetch, { maxRequests: 2 });
    expect(await r.resolveTag(ref("reg.test/multi:1"), [])).toMatchObject({ ok: true });
    const running = await r.inspectManifest(ref("reg.test/multi:1"), INDEX, []);
    expect(running).toEqual({ ok: false, reason: spent(2) });
    expect(await r.describeImage(ref("reg.test/a:1"), MANIFEST, [])).toEqual({ ok: false, reason: spent(2) });
    expect(seen).toHaveLength(2);
  });

  it("a spent budget during the token exchange is the budget's reason, not an access denied", async () => {
    const { fetch, seen } = fakeFetch(
      tokenRegistry({ "app:1": { body: manifestBody, type: dockerManifest } }),
    );
    // The version check and the token fit; the HEAD with it does not.
    const r = resolver(fetch, { maxRequests: 2 });
    expect(await r.resolveTag(ref("reg.test/app:1"), [ci])).toEqual({ ok: false, reason: spent(2) });
    expect(seen.map((s) => new URL(s.url).host)).toEqual(["reg.test", "auth.test"]);
  });

  it("retries count: a 500 retried until the budget runs out ends as the budget's reason", async () => {
    const { fetch, seen } = fakeFetch((req) =>
      req.url.endsWith("/v2/") ? new Response("{}") : new Response("oops", { status: 500 }),
    );
    const r = resolver(fetch, { maxRequests: 2 });
    expect(await r.resolveTag(ref("reg.test/a:1"), [])).toEqual({ ok: false, reason: spent(2) });
    expect(seen).toHaveLength(2);
    expect(r.stats()).toMatchObject({ ping: 1, head: 1 });
  });
});
