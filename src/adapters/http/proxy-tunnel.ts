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
  /**
   * The proxy's refusal of its credentials (407): every later tunnel fails with it, and none is asked for.
   */
  private refused: ProxyError | null = null;
  /** Whether the proxy has answered a CONNECT with its credentials (and taken them). */
  private answered = false;
  /** Tunnels waiting for the proxy's first answer to its credentials, asked for one at a time till then. */
  private waiting: (() => void)[] | null = null;

  constructor(
    private readonly proxy: URL,
    private readonly connectTimeoutMs: number,
    /** Told of a refusal of the proxy's credentials: the requests routed to it after that are not sent. */
    private readonly onRefused: (refusal: ProxyError) => void = () => {},
  ) {
    super({ keepAlive: true });
  }

  override createConnection(options: ConnectOptions, created: Created): undefined {
    if (this.refused) return void created(this.refused);
    // A proxy that refuses its login is sent it once, not once per host at once: a directory-backed proxy
    // locks the account after a few.
    const login = Object.keys(proxyAuthorization(this.proxy)).length > 0 && !this.answered;
    if (login && this.waiting) return void this.waiting.push(() => this.createConnection(options, created));
    // The others wait for the proxy's answer only so long: a proxy checks a login before it reaches the host,
    // so one slow to answer took it and waits on the host, which must not hold every other host's tunnel.
    const heard = login ? setTimeout(() => this.release(true), loginAnswerMs) : undefined;
    heard?.unref();
    if (login) this.waiting = [];
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
      clearTimeout(heard);
      this.release(answered);
    };
    connect.once("connect", (answer, socket) => {
      // The timeout was for the CONNECT: the tunnel lives on, idle in the pool between requests.
      socket.setTimeout(0);
      connect.removeAllListeners("timeout");
      answered = true;
      // Refused credentials are not sent again; a proxy that wants some and was sent none may let other hosts
      // through without (a login asked for some destinations only).
      if (answer.statusCode === 407 && login) {
        this.refused = credentialsRefused(this.proxy, answer);
        this.onRefused(this.refused);
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
    return undefined;
  }

  /**
   * The tunnels waiting for the proxy's first answer go on: refused at once after a 407; after another answer
   * (`answered`: a tunnel, another refusal, or none within loginAnswerMs) each asks for itself from now on;
   * after no connection at all, the next of them asks alone, as the first did.
   */
  private release(answered: boolean): void {
    if (answered && !this.refused) this.answered = true;
    const waiting = this.waiting;
    this.waiting = null;
    for (const go of waiting ?? []) go();
  }
}

/** How long tunnels wait for the proxy's first answer to its login before asking for themselves. */
const loginAnswerMs = 2000;

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
