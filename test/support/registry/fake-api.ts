/**
 * An in-process fake of the registry API and its token server for the registry resolver's unit tests (the
 * real registry runs in test/integration/registry/): a fetch that records requests and answers like
 * distribution 2.8 does, each test bending one thing; and a resolver with fast test timings over it.
 */
import { createHash } from "node:crypto";
import { RegistryResolver } from "../../../src/adapters/registry/resolver.js";
import { parseImageRef } from "../../../src/core/image-ref.js";
import type { Credential } from "../../../src/core/keyring.js";
export const ociIndex = "application/vnd.oci.image.index.v1+json";
export const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

export const manifestBody = JSON.stringify({
  schemaVersion: 2,
  mediaType: dockerManifest,
  config: {},
  layers: [],
});
const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
export const MANIFEST = sha(manifestBody);
const child = (n: string) => sha(`child ${n}`);
export const indexBody = JSON.stringify({
  schemaVersion: 2,
  mediaType: ociIndex,
  manifests: [
    { digest: child("amd64"), platform: { os: "linux", architecture: "amd64" } },
    { digest: child("arm64"), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
  ],
});
export const INDEX = sha(indexBody);

export interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  body: string;
}

type Handler = (req: Seen, attempt: number) => Response | Promise<Response> | "hang";

/**
 * A fetch that records requests and answers from `handler`; "hang" never answers (until aborted). Redirects
 * are followed as httpFetch does (each hop recorded; no Authorization to another origin), and the answer
 * names the URL that gave it.
 */
export function fakeFetch(handler: Handler) {
  const seen: Seen[] = [];
  const counts = new Map<string, number>();
  const fetch = (async (input: URL | string, init: RequestInit = {}) => {
    let url = String(input);
    let authorization = new Headers(init.headers).get("authorization");
    const redirectedFrom: string[] = [];
    for (;;) {
      const req: Seen = {
        method: init.method ?? "GET",
        url,
        authorization,
        body: typeof init.body === "string" ? init.body : "",
      };
      seen.push(req);
      const key = `${req.method} ${req.url}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const answer = await handler(req, counts.get(key)!);
      if (answer === "hang") {
        // As httpFetch marks a failure where a redirect led: with that origin.
        const origin = new URL(url).origin;
        const marked = (reason: Error) =>
          origin === new URL(String(input)).origin ? reason : Object.assign(reason, { redirectedTo: origin });
        return new Promise<Response>((_, reject) => {
          init.signal?.addEventListener("abort", () => reject(marked(init.signal!.reason)));
        });
      }
      const location = answer.headers.get("location");
      if (answer.status >= 300 && answer.status < 400 && location !== null) {
        const next = new URL(location, url);
        if (next.origin !== new URL(url).origin) authorization = null;
        redirectedFrom.push(url);
        url = next.href;
        continue;
      }
      // A constructed Response has no URL of its own (fetch's is where the answer came from).
      return Object.defineProperties(answer, {
        url: { value: url },
        redirectedFrom: { value: redirectedFrom },
      });
    }
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

export const bearer = 'Bearer realm="https://auth.test/token",service="reg.test"';

/**
 * distribution with `auth: token`: tokens name the user; user "ci" may pull everything, anonymous only "pub".
 */
export function tokenRegistry(
  manifests: Record<string, { body: string; type: string }>,
  options: { noDigest?: boolean } = {},
) {
  return (req: Seen): Response => {
    const url = new URL(req.url);
    if (url.host === "auth.test") {
      if (req.method === "POST") {
        const form = new URLSearchParams(req.body);
        if (form.get("refresh_token") !== "refresh-ci")
          return new Response('{"details":"bad"}', { status: 401 });
        return Response.json({ access_token: `tok:ci:${form.get("scope")}`, expires_in: 300 });
      }
      const scope = url.searchParams.get("scope");
      if (!req.authorization) return Response.json({ token: `tok:anon:${scope}` });
      const [user, password] = Buffer.from(req.authorization.slice(6), "base64").toString().split(":");
      if (user !== "ci" || password !== "pw") return new Response('{"details":"incorrect"}', { status: 401 });
      return Response.json({ token: `tok:ci:${scope}`, expires_in: 300 });
    }
    if (url.pathname === "/v2/")
      return new Response("{}", { status: 401, headers: { "www-authenticate": bearer } });
    const m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname);
    if (!m) return new Response("", { status: 404 });
    const [, repo, reference] = m as unknown as [string, string, string];
    const token = req.authorization?.replace(/^Bearer /, "") ?? "";
    const [, who, scope] = token.split(":", 3).length === 3 ? (token.match(/^tok:(\w+):(.*)$/) ?? []) : [];
    const allowed = scope === `repository:${repo}:pull` && (who === "ci" || repo === "pub");
    if (!allowed) {
      return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
        status: 401,
        headers: {
          "www-authenticate": `${bearer},scope="repository:${repo}:pull",error="insufficient_scope"`,
        },
      });
    }
    const found =
      manifests[`${repo}:${reference}`] ?? Object.values(manifests).find((x) => sha(x.body) === reference);
    if (!found)
      return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', {
        status: 404,
      });
    const headers: Record<string, string> = { "content-type": found.type };
    if (!options.noDigest) headers["docker-content-digest"] = sha(found.body);
    return new Response(req.method === "HEAD" ? null : found.body, { status: 200, headers });
  };
}

export function resolver(
  fetch: typeof globalThis.fetch,
  extra: Partial<ConstructorParameters<typeof RegistryResolver>[0]> = {},
) {
  return new RegistryResolver({
    isInsecure: () => false,
    timeoutMs: 2000,
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 },
    fetch,
    random: () => 0.5,
    ...extra,
  });
}

export const ci: Credential = { username: "ci", password: "pw", source: "secret default/regcred" };
export const wrong: Credential = { username: "ci", password: "nope", source: "secret default/old" };
export const ref = (image: string) => parseImageRef(image);
export const kinds = (seen: Seen[]) =>
  seen.map((s) => `${s.method} ${new URL(s.url).host === "auth.test" ? "token" : new URL(s.url).pathname}`);
