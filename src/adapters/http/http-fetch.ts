/**
 * The part of fetch the registry transport and the webhook use, over node:http and node:https with
 * keep-alive agents. Node's own fetch (undici) sends `Connection: close` with every HEAD, and a plan is
 * mostly HEADs: each one would open a new connection, and against an https registry make a new TLS
 * handshake. Here HEADs reuse connections like every other request. It also goes through the proxy that
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY name (core/proxy.ts), which Node's fetch ignores: https through a
 * CONNECT tunnel, plain http by sending the whole URL to the proxy.
 *
 * As fetch does: redirects are followed (at most 20) unless `redirect: "manual"`, and an Authorization
 * header is not sent on to another origin (stricter than fetch: nor is a body, which a 307 or 308 would
 * keep: the redirect is refused); a network failure is a TypeError whose cause is the system's
 * error, an abort an AbortError; nothing is decompressed (no Accept-Encoding is sent).
 */

import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import { unbracket } from "../../core/ip-address.js";
import { type ProxySettings, proxyAddress, proxyFor, unsupportedProxy } from "../../core/proxy.js";
import { ProxyLogin } from "./proxy-login.js";
import {
  credentialsRefused,
  ProxyError,
  proxyAuthorization,
  proxyFailure,
  proxyRefusal,
  TunnelAgent,
} from "./proxy-tunnel.js";
import { bodilessStatuses } from "./response-reader.js";

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

const maxRedirects = 20;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

export interface HttpFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** "manual": a redirect is the answer, not followed. */
  redirect?: "follow" | "manual";
}

/** An answer whose headers have arrived: the part of fetch's Response that the callers read. */
export interface HttpResponse {
  /**
   * The URL that gave this answer: the request's, or where its redirects led (fetch's `Response.url`), so
   * that a caller can tell an answer of another origin, which speaks for that origin only.
   */
  url: string;
  /** The URLs whose redirects led to `url`, the request's first; none when it was not redirected. */
  redirectedFrom?: readonly string[];
  status: number;
  headers: HttpHeaders;
  /** Null when the answer has none (HEAD, 204, 205, 304); else read it to its end, or cancel it. */
  body: HttpBody | null;
}

/** Header values by name in any case, repeated ones joined with ", ": fetch's `Headers.get`. */
export interface HttpHeaders {
  get(name: string): string | null;
}

interface HttpBody extends AsyncIterable<Uint8Array> {
  cancel(): Promise<void>;
}

export type HttpFetch = (input: URL | string, init?: HttpFetchInit) => Promise<HttpResponse>;

export interface HttpFetchOptions {
  /** Proxies to go through; direct connections when absent. */
  proxy?: ProxySettings;
  /** How long a proxy may take to open a tunnel. */
  connectTimeoutMs?: number;
}

/** Direct connections only. */
export const httpFetch: HttpFetch = createHttpFetch();

/** A fetch that sends each request direct or through its proxy (one keep-alive agent per proxy). */
export function createHttpFetch(options: HttpFetchOptions = {}): HttpFetch {
  const proxyAgents = new Map<string, http.Agent>();
  /** Each proxy's login, by URL: one refused is not sent again (each would count a failed login). */
  const logins = new Map<string, ProxyLogin>();
  const loginOf = (proxy: URL) => {
    let login = logins.get(proxy.href);
    if (!login) {
      login = new ProxyLogin(Object.keys(proxyAuthorization(proxy)).length > 0);
      logins.set(proxy.href, login);
    }
    return login;
  };
  const route = (url: URL): Route => {
    const proxy = options.proxy ? proxyFor(options.proxy, url) : null;
    if (proxy === null) return { kind: "origin", agent: agents[url.protocol as keyof typeof agents] };
    const login = loginOf(proxy);
    if (login.refusal) return { kind: "none", error: login.refusal };
    const unsupported = unsupportedProxy(proxy);
    if (unsupported !== null) {
      // Not a direct connection in its place: the user said this host is reached through that proxy.
      const error = new ProxyError(`proxy ${proxyAddress(proxy)}: ${unsupported}`, "ERR_PROXY_REFUSED");
      return { kind: "none", error };
    }
    const key = `${url.protocol}${proxy.href}`;
    let agent = proxyAgents.get(key);
    if (!agent) {
      agent =
        url.protocol === "https:"
          ? new TunnelAgent(proxy, options.connectTimeoutMs ?? 30_000, login)
          : new http.Agent({ keepAlive: true });
      proxyAgents.set(key, agent);
    }
    return url.protocol === "https:" ? { kind: "origin", agent } : { kind: "forward", agent, proxy, login };
  };
  return (input, init = {}) => fetchFollowing(new URL(input), init, route);
}

/**
 * How a request reaches its URL: a connection to its origin (direct or tunnelled), a proxy given the URL,
 * or not at all (a proxy of a kind not supported).
 */
type Route =
  | { kind: "origin"; agent: http.Agent }
  | { kind: "forward"; agent: http.Agent; proxy: URL; login: ProxyLogin }
  | { kind: "none"; error: ProxyError };

/** Sends the request, following redirects; resolves once the final answer's headers have arrived. */
async function fetchFollowing(
  start: URL,
  init: HttpFetchInit,
  route: (url: URL) => Route,
): Promise<HttpResponse> {
  let url = start;
  let method = init.method ?? "GET";
  let headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  const redirectedFrom: string[] = [];
  for (let redirects = 0; ; redirects++) {
    // A failure where a redirect led (its proxy's included) is that origin's, not the first one's.
    const here = url;
    const marked = (error: unknown) =>
      here.origin === start.origin ? error : failedAfterRedirect(error, here);
    const way = route(url);
    if (way.kind === "none") throw marked(networkError(way.error));
    const outgoing = { url, route: way, method, headers, body, signal: init.signal };
    const answer = await (way.kind === "forward" ? sendForward(outgoing, way) : send(outgoing)).catch(
      (error: unknown) => {
        throw marked(error);
      },
    );
    const status = answer.statusCode ?? 0;
    // A proxy given the URL answers for itself only when it wants credentials.
    if (way.kind === "forward" && status === 407) {
      answer.resume();
      throw marked(networkError(proxyRefusal(way.proxy, `${method} ${url.host}`, answer)));
    }
    const location = answer.headers.location;
    if (!redirectStatuses.has(status) || location === undefined || init.redirect === "manual") {
      return { ...(await toResponse(answer, url, method, marked)), redirectedFrom };
    }
    answer.resume();
    if (redirects === maxRedirects) throw redirectRefused(`more than ${maxRedirects} redirects`);
    const next = new URL(location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw redirectRefused(`redirect to ${next.protocol} refused`);
    }
    // As fetch: 303, and 301/302 after a POST, go on as a GET without the body.
    if ((status === 303 && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")) {
      method = "GET";
      body = undefined;
      headers = without(headers, "content-type", "content-length");
    }
    // Credentials were given for one origin: another gets none of them, in a header or in a body kept by
    // a 307 or 308 (a token request's refresh token), where fetch would send the body on.
    if (next.origin !== url.origin) {
      if (body !== undefined) {
        throw redirectRefused(`redirect of a ${method} with a body to another origin (${next.host}) refused`);
      }
      headers = without(headers, "authorization");
    }
    redirectedFrom.push(url.href);
    url = next;
  }
}

/**
 * A request sent whole to a proxy, in its login's turn. Refused credentials are not sent again; a proxy
 * sent none may let other hosts through without.
 */
function sendForward(
  outgoing: Outgoing,
  way: Extract<Route, { kind: "forward" }>,
): Promise<http.IncomingMessage> {
  return way.login.send(async () => {
    const answer = await send(outgoing);
    if (answer.statusCode === 407 && way.login.sendsLogin) {
      way.login.refusal = credentialsRefused(way.proxy, answer);
    }
    return answer;
  }, networkError);
}

/** Kept-alive connections found closed in a row before a request is given up on. */
const maxClosedWhenReused = 16;

/**
 * A kept-alive connection may have been closed by the other end just as it was taken for this request
 * (proxies such as tinyproxy close after every answer; several pooled connections can go at once). A GET
 * or HEAD that fails that way before any answer is sent again, as Go's client does, until it meets a
 * connection that is alive or a new one; anything else may have had an effect.
 */
async function send(outgoing: Outgoing): Promise<http.IncomingMessage> {
  const { method } = outgoing;
  for (let closed = 0; ; closed++) {
    try {
      return await sendOnce(outgoing);
    } catch (error) {
      if (!(error instanceof ClosedWhenReused)) throw error;
      if ((method !== "GET" && method !== "HEAD") || closed === maxClosedWhenReused) throw error.failure;
    }
  }
}

/** One request of a fetch, on its way. */
interface Outgoing {
  url: URL;
  route: Exclude<Route, { kind: "none" }>;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  signal: AbortSignal | undefined;
}

class ClosedWhenReused extends Error {
  constructor(readonly failure: TypeError) {
    super(failure.message);
  }
}

function sendOnce({ url, route, method, headers, body, signal }: Outgoing): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let request: http.ClientRequest;
    try {
      request =
        route.kind === "forward"
          ? http.request({
              hostname: unbracket(route.proxy.hostname),
              port: route.proxy.port || 80,
              // The absolute form, without a fragment (never sent) or user info.
              path: `${url.protocol}//${url.host}${url.pathname}${url.search}`,
              method,
              headers: { host: url.host, ...headers, ...proxyAuthorization(route.proxy) },
              agent: route.agent,
              signal,
            })
          : (url.protocol === "https:" ? https : http).request(url, {
              method,
              headers,
              agent: route.agent,
              signal,
            });
    } catch (error) {
      // A request that cannot be sent at all (a bad header value): fetch's TypeError without a cause.
      reject(new TypeError(error instanceof Error ? error.message : String(error)));
      return;
    }
    request.on("response", resolve);
    request.on("error", (error: Error & { code?: string }) => {
      if (error.name === "AbortError") return reject(error);
      const failure = networkError(route.kind === "forward" ? proxyFailure(route.proxy, error) : error);
      const closed = request.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE");
      reject(closed ? new ClosedWhenReused(failure) : failure);
    });
    request.end(body);
  });
}

/**
 * The answer as fetch would give it, without fetch's own Response and Headers: those load Node's whole
 * fetch implementation, ~27 ms of CPU on every run for two small objects.
 */
async function toResponse(
  answer: http.IncomingMessage,
  url: URL,
  method: string,
  marked: (error: unknown) => unknown,
): Promise<HttpResponse> {
  const status = answer.statusCode ?? 0;
  if (status < 200 || status > 599) {
    answer.destroy();
    throw networkError(new Error(`unexpected HTTP status ${status}`));
  }
  const headers = headersOf(answer.rawHeaders);
  if (method === "HEAD" || bodilessStatuses.has(status)) {
    // Ended, its connection is free again for the request that follows.
    answer.resume();
    await once(answer, "end").catch((error: Error) => {
      throw marked(error.name === "AbortError" ? error : networkError(error));
    });
    return { url: url.href, status, headers, body: null };
  }
  return { url: url.href, status, headers, body: bodyOf(answer, marked) };
}

function headersOf(raw: readonly string[]): HttpHeaders {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const known = values.get(name);
    values.set(name, known === undefined ? raw[i + 1]! : `${known}, ${raw[i + 1]!}`);
  }
  return { get: (name) => values.get(name.toLowerCase()) ?? null };
}

/** The body as it arrives; a failure while reading it is a network error, as fetch's is. */
function bodyOf(answer: http.IncomingMessage, marked: (error: unknown) => unknown): HttpBody {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* answer as AsyncIterable<Buffer>;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        throw marked(failure.name === "AbortError" ? failure : networkError(failure));
      }
    },
    cancel: async () => {
      answer.destroy();
    },
  };
}

function networkError(cause: Error): TypeError {
  return new TypeError("fetch failed", { cause });
}

/** The code of a redirect this client will not follow: asking again gets the same answer. */
export const redirectRefusedCode = "ERR_REDIRECT_REFUSED";

function redirectRefused(message: string): TypeError {
  return networkError(Object.assign(new Error(message), { code: redirectRefusedCode }));
}

/**
 * A failure at the origin a redirect led to (a registry's blob storage, a CDN), marked with its origin: the
 * origin asked has answered, and one that cannot reach the other must not take it for down.
 */
export interface RedirectedFailure {
  redirectedTo?: string;
}

function failedAfterRedirect(error: unknown, url: URL): unknown {
  if (error instanceof Error) (error as Error & RedirectedFailure).redirectedTo = url.origin;
  return error;
}

function without(headers: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));
}
