/**
 * Reaching hosts through an http proxy. For https, an agent whose connections are CONNECT tunnels with TLS
 * inside them end to end, so the proxy sees the host and port and nothing else; the tunnels are kept alive
 * and reused like direct connections. For plain http the proxy is sent the whole URL (http-fetch.ts).
 * Every failure that is the proxy's is a ProxyError naming it by host:port, never by its URL.
 */
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { unbracket } from "../../core/ip-address.js";
import { proxyAddress } from "../../core/proxy.js";
import type { ProxyLogin } from "./proxy-login.js";

/**
 * The proxy could not be reached, would not serve the request, or is of a kind not supported; `code` is
 * the system's error code, or ERR_PROXY_REFUSED when asking again will not help.
 */
export class ProxyError extends Error {
  override readonly name = "ProxyError";
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

type ConnectOptions = tls.ConnectionOptions & { host: string; port: number };
type Created = (error: Error | null, socket?: Duplex) => void;

export class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    private readonly connectTimeoutMs: number,
    /** The proxy's login, shared with the plain http requests sent to it. */
    private readonly login: ProxyLogin,
  ) {
    super({ keepAlive: true });
  }

  override createConnection(options: ConnectOptions, created: Created): undefined {
    this.login.turn((loginSettled) => this.connect(options, created, loginSettled));
    return undefined;
  }

  private connect(
    options: ConnectOptions,
    created: Created,
    loginSettled: (answered: boolean) => void,
  ): void {
    if (this.login.refusal) {
      loginSettled(true);
      created(this.login.refusal);
      return;
    }
    const target = `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
    const connect = http.request({
      hostname: unbracket(this.proxy.hostname),
      port: this.proxy.port || 80,
      method: "CONNECT",
      path: target,
      headers: { host: target, ...proxyAuthorization(this.proxy) },
      agent: false,
      timeout: this.connectTimeoutMs,
    });
    let settled = false;
    let answered = false;
    const settle = (error: Error | null, socket?: Duplex) => {
      if (settled) return;
      settled = true;
      created(error, socket);
      loginSettled(answered);
    };
    connect.once("connect", (answer, socket) => {
      // The timeout was for the CONNECT: the tunnel lives on, idle in the pool between requests.
      socket.setTimeout(0);
      connect.removeAllListeners("timeout");
      answered = true;
      // Refused credentials are not sent again; a proxy that wants some and was sent none may let other hosts
      // through without (a login asked for some destinations only).
      if (answer.statusCode === 407 && this.login.sendsLogin) {
        this.login.refusal = credentialsRefused(this.proxy, answer);
      }
      if (answer.statusCode !== 200) {
        socket.destroy();
        settle(proxyRefusal(this.proxy, `CONNECT ${target}`, answer));
        return;
      }
      settle(null, tls.connect({ ...options, socket }));
    });
    connect.once("timeout", () =>
      connect.destroy(new ProxyError(`proxy ${proxyAddress(this.proxy)}: no answer to CONNECT`, "ETIMEDOUT")),
    );
    connect.on("error", (error) => settle(proxyFailure(this.proxy, error)));
    connect.end();
  }
}

/** The header that carries the proxy URL's credentials, if it has any (checked when the URL was read). */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === "" && proxy.password === "") return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { "proxy-authorization": `Basic ${Buffer.from(credentials).toString("base64")}` };
}

/** A connection to the proxy that failed, said to be the proxy's. */
export function proxyFailure(proxy: URL, error: Error & { code?: string }): ProxyError {
  if (error instanceof ProxyError) return error;
  return new ProxyError(`proxy ${proxyAddress(proxy)}: ${error.message}`, error.code);
}

/** A proxy's refusal of its credentials (407), for the requests after the one it answered: not sent. */
export function credentialsRefused(proxy: URL, answer: http.IncomingMessage): ProxyError {
  const text = `407${answer.statusMessage ? ` ${answer.statusMessage}` : ""}`;
  return new ProxyError(
    `proxy ${proxyAddress(proxy)} refused its credentials (${text}): not asked again in this run`,
    "ERR_PROXY_REFUSED",
  );
}

/** Statuses a proxy may answer with that can change by asking again. */
const transientStatuses = new Set([408, 429]);

/**
 * The proxy's own refusal of `request`: refused credentials or access will not change by asking again;
 * a 5xx (the proxy could not reach the host), a 408 or a 429 may.
 */
export function proxyRefusal(proxy: URL, request: string, answer: http.IncomingMessage): ProxyError {
  const status = answer.statusCode ?? 0;
  const final = status >= 400 && status < 500 && !transientStatuses.has(status);
  const text = `${status}${answer.statusMessage ? ` ${answer.statusMessage}` : ""}`;
  return new ProxyError(
    `proxy ${proxyAddress(proxy)} answered ${request} with ${text}`,
    final ? "ERR_PROXY_REFUSED" : undefined,
  );
}
