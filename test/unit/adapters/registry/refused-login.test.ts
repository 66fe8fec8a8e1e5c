/**
 * A credential the registry's token service, or a registry of Basic auth, turned down (401: a password wrong
 * or expired) is not sent again in the run: each would be one more failed login, and an account behind an
 * LDAP or AD directory (Harbor, GitLab, Artifactory, Nexus) locks after a few, at every scheduled run.
 */
import { describe, expect, it } from "vitest";
import {
  bearer,
  ci,
  dockerManifest,
  fakeFetch,
  manifestBody,
  ref,
  resolver,
  tokenRegistry,
  wrong,
} from "../../../support/registry/fake-api.js";

const wrongBasic = `Basic ${Buffer.from("ci:nope").toString("base64")}`;

describe("a credential refused by the token service", () => {
  it("is not sent to that token service again in the run (one failed login, not one per tag)", async () => {
    const manifests: Record<string, { body: string; type: string }> = {};
    for (let i = 0; i < 3; i++)
      for (let t = 0; t < 3; t++) manifests[`app${i}:${t}`] = { body: manifestBody, type: dockerManifest };
    const { fetch, seen } = fakeFetch(tokenRegistry(manifests));
    const r = resolver(fetch);
    // Nine tags in three repositories, resolved one after another (as --concurrency spreads them).
    const results = [];
    for (let i = 0; i < 3; i++)
      for (let t = 0; t < 3; t++) results.push(await r.resolveTag(ref(`reg.test/app${i}:${t}`), [wrong]));
    expect(results.every((x) => !x.ok)).toBe(true);
    const failedLogins = seen.filter(
      (s) => new URL(s.url).host === "auth.test" && s.authorization === wrongBasic,
    );
    expect(failedLogins.length).toBe(1);
  });

  it("a Basic registry: a wrong password is not sent again with every HEAD", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const url = new URL(req.url);
      const challenge = { "www-authenticate": 'Basic realm="reg"' };
      if (url.pathname === "/v2/") return new Response("{}", { status: 401, headers: challenge });
      return req.authorization === `Basic ${Buffer.from("ci:pw").toString("base64")}`
        ? new Response(null, { status: 200 })
        : new Response("", { status: 401, headers: challenge });
    });
    const r = resolver(fetch);
    for (let t = 0; t < 5; t++) await r.resolveTag(ref(`reg.test/app:${t}`), [wrong]);
    expect(seen.filter((s) => s.authorization === wrongBasic).length).toBe(1);
  });
});

/** `answer` a little later, as a token service or registry that asks a directory does. */
const later = (answer: () => Response) =>
  new Promise<Response>((resolve) => setTimeout(() => resolve(answer()), 20));

describe("repositories resolved at once (--concurrency) share one login", () => {
  const repositories = ["a", "b", "c", "d"];
  const manifests = Object.fromEntries(
    repositories.map((r) => [`${r}:1`, { body: manifestBody, type: dockerManifest }]),
  );

  it("the token service hears a wrong password once: the others wait for its answer, then send nothing", async () => {
    const registry = tokenRegistry(manifests);
    const { fetch, seen } = fakeFetch((req) => later(() => registry(req)));
    const r = resolver(fetch);
    const results = await Promise.all(repositories.map((x) => r.resolveTag(ref(`reg.test/${x}:1`), [wrong])));
    expect(results.map((x) => x.ok)).toEqual([false, false, false, false]);
    const logins = seen.filter((s) => new URL(s.url).host === "auth.test" && s.authorization === wrongBasic);
    expect(logins).toHaveLength(1);
  });

  it("a password the token service takes is then used by all at once, each repository with its token", async () => {
    const registry = tokenRegistry(manifests);
    let inFlight = 0;
    let most = 0;
    const { fetch, seen } = fakeFetch(async (req) => {
      const isToken = new URL(req.url).host === "auth.test";
      if (isToken) most = Math.max(most, ++inFlight);
      const answer = await later(() => registry(req));
      if (isToken) inFlight--;
      return answer;
    });
    const r = resolver(fetch);
    const results = await Promise.all(repositories.map((x) => r.resolveTag(ref(`reg.test/${x}:1`), [ci])));
    expect(results.map((x) => x.ok)).toEqual([true, true, true, true]);
    expect(seen.filter((s) => new URL(s.url).host === "auth.test")).toHaveLength(4);
    // The first alone, then the three others together.
    expect(most).toBe(3);
  });

  it("a Basic registry whose first answer is a 503 (it said nothing of the password): the next goes alone", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const path = new URL(req.url).pathname;
      const challenge = { "www-authenticate": 'Basic realm="reg"' };
      if (path === "/v2/") return new Response("{}", { status: 401, headers: challenge });
      if (path.startsWith("/v2/a/")) return later(() => new Response("busy", { status: 503 }));
      return later(() => new Response("", { status: 401, headers: challenge }));
    });
    const r = resolver(fetch);
    await Promise.all(repositories.map((x) => r.resolveTag(ref(`reg.test/${x}:1`), [wrong])));
    const sent = seen.filter((s) => s.authorization === wrongBasic).map((s) => new URL(s.url).pathname);
    // a's three attempts (503, retried twice), then b's, refused: c and d send nothing.
    expect(sent).toEqual([...Array(3).fill("/v2/a/manifests/1"), "/v2/b/manifests/1"]);
  });

  it("a Basic registry hears a wrong password once", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const challenge = { "www-authenticate": 'Basic realm="reg"' };
      if (new URL(req.url).pathname === "/v2/")
        return new Response("{}", { status: 401, headers: challenge });
      return later(() => new Response("", { status: 401, headers: challenge }));
    });
    const r = resolver(fetch);
    const results = await Promise.all(repositories.map((x) => r.resolveTag(ref(`reg.test/${x}:1`), [wrong])));
    expect(results.map((x) => x.ok)).toEqual([false, false, false, false]);
    expect(seen.filter((s) => s.authorization === wrongBasic)).toHaveLength(1);
  });
});

describe("a token realm that redirects to another origin (the credential is not sent there)", () => {
  it("a 401 from there is not a refusal of the credential: not counted as a failed login, asked again", async () => {
    const { fetch, seen } = fakeFetch((req) => {
      const url = new URL(req.url);
      if (url.host === "auth.test")
        return new Response(null, { status: 302, headers: { location: `https://sso.test${url.pathname}` } });
      if (url.host === "sso.test") return new Response('{"details":"who are you?"}', { status: 401 });
      return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
    });
    const r = resolver(fetch);
    for (const repository of ["a", "b"]) {
      expect(await r.resolveTag(ref(`reg.test/${repository}:1`), [wrong])).toEqual({
        ok: false,
        reason:
          "could not get access: token server auth.test redirected to sso.test, which answered 401 (with secret default/old)",
      });
    }
    expect(
      seen.filter((s) => new URL(s.url).host === "auth.test" && s.authorization === wrongBasic),
    ).toHaveLength(2);
  });
});
