/**
 * The part of fetch the registry transport uses, over node:http and node:https with keep-alive agents.
 * Node's own fetch (undici) sends `Connection: close` with every HEAD, and a plan is mostly HEADs: each
 * one would open a new connection, and against an https registry make a new TLS handshake. Here HEADs
 * reuse connections like every other request.
 *
 * As fetch does: redirects are followed (at most 20), and an Authorization header is not sent on to
 * another origin; a network failure is a TypeError whose cause is the system's error, an abort an
 * AbortError; nothing is decompressed (no Accept-Encoding is sent).
 */

import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

const maxRedirects = 20;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
/** Statuses whose response has no body whatever the headers say. */
const bodilessStatuses = new Set([204, 205, 304]);

export interface HttpFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** Sends the request, following redirects; resolves once the final answer's headers have arrived. */
export async function httpFetch(input: URL | string, init: HttpFetchInit = {}): Promise<Response> {
  let url = new URL(input);
  let method = init.method ?? "GET";
  let headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  for (let redirects = 0; ; redirects++) {
    const answer = await send(url, method, headers, body, init.signal);
    const status = answer.statusCode ?? 0;
    const location = answer.headers.location;
    if (!redirectStatuses.has(status) || location === undefined) return await toResponse(answer, method);
    answer.resume();
    if (redirects === maxRedirects) throw networkError(new Error(`more than ${maxRedirects} redirects`));
    const next = new URL(location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw networkError(new Error(`redirect to ${next.protocol} refused`));
    }
    // Credentials were given for one origin: another gets none of them.
    if (next.origin !== url.origin) headers = without(headers, "authorization");
    // As fetch: 303, and 301/302 after a POST, go on as a GET without the body.
    if ((status === 303 && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")) {
      method = "GET";
      body = undefined;
      headers = without(headers, "content-type", "content-length");
    }
    url = next;
  }
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal | undefined,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const protocol = url.protocol === "https:" ? https : http;
    let request: http.ClientRequest;
    try {
      request = protocol.request(url, {
        method,
        headers,
        agent: agents[url.protocol as keyof typeof agents],
        signal,
      });
    } catch (error) {
      // A request that cannot be sent at all (a bad header value): fetch's TypeError without a cause.
      reject(new TypeError(error instanceof Error ? error.message : String(error)));
      return;
    }
    request.on("response", resolve);
    request.on("error", (error) => reject(error.name === "AbortError" ? error : networkError(error)));
    request.end(body);
  });
}

async function toResponse(answer: http.IncomingMessage, method: string): Promise<Response> {
  const status = answer.statusCode ?? 0;
  if (status < 200 || status > 599) {
    answer.destroy();
    throw networkError(new Error(`unexpected HTTP status ${status}`));
  }
  const headers = new Headers();
  const raw = answer.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const statusText = answer.statusMessage ?? "";
  if (method === "HEAD" || bodilessStatuses.has(status)) {
    // Ended, its connection is free again for the request that follows.
    answer.resume();
    await once(answer, "end").catch((error: Error) => {
      throw error.name === "AbortError" ? error : networkError(error);
    });
    return new Response(null, { status, statusText, headers });
  }
  return new Response(Readable.toWeb(answer) as ReadableStream<Uint8Array>, { status, statusText, headers });
}

function networkError(cause: Error): TypeError {
  return new TypeError("fetch failed", { cause });
}

function without(headers: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));
}
