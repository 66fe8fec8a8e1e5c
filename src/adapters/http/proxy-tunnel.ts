/**
 * An https agent whose connections go through an http proxy: each one is a CONNECT tunnel to the
 * registry, and TLS runs inside it end to end, so the proxy sees the host and port and nothing else. The
 * tunnels are kept alive and reused like direct connections.
 */
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { proxyAddress, unbracket } from "../../core/proxy.js";

/** A proxy that could not be reached or would not open the tunnel; `code` says whether asking again may help. */
class ProxyError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

type ConnectOptions = tls.ConnectionOptions & { host: string; port: number };
type Created = (error: Error | null, socket?: Duplex) => void;

export class TunnelAgent extends https.Agent {
  /** The TCP connection under each tunnel's TLS socket, for keep-alive's ref and unref. */
  private readonly raw = new WeakMap<Duplex, Socket>();

  constructor(
    private readonly proxy: URL,
    private readonly connectTimeoutMs: number,
  ) {
    super({ keepAlive: true });
  }

  override createConnection(options: ConnectOptions, created: Created): undefined {
    const target = `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
    const address = proxyAddress(this.proxy);
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
    const settle = (error: Error | null, socket?: Duplex) => {
      if (settled) return;
      settled = true;
      created(error, socket);
    };
    connect.once("connect", (answer, socket) => {
      // The timeout was for the CONNECT: the tunnel lives on, idle in the pool between requests.
      socket.setTimeout(0);
      connect.removeAllListeners("timeout");
      if (answer.statusCode !== 200) {
        socket.destroy();
        settle(refusal(address, target, answer));
        return;
      }
      const secure = tls.connect({ ...options, socket });
      this.raw.set(secure, socket);
      settle(null, secure);
    });
    connect.once("timeout", () =>
      connect.destroy(new ProxyError(`proxy ${address}: no answer to CONNECT`, "ETIMEDOUT")),
    );
    connect.on("error", (error: Error & { code?: string }) =>
      settle(
        error instanceof ProxyError
          ? error
          : new ProxyError(`proxy ${address}: ${error.message}`, error.code ?? ""),
      ),
    );
    connect.end();
    return undefined;
  }

  // An idle kept-alive TLS socket does not let go of the event loop by itself: its TCP connection must.
  override keepSocketAlive(socket: Duplex) {
    this.raw.get(socket)?.unref();
    return super.keepSocketAlive(socket as Socket);
  }

  override reuseSocket(socket: Duplex, request: http.ClientRequest): void {
    this.raw.get(socket)?.ref();
    super.reuseSocket(socket as Socket, request);
  }
}

/** The header that carries the proxy URL's credentials, if it has any. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === "" && proxy.password === "") return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { "proxy-authorization": `Basic ${Buffer.from(credentials).toString("base64")}` };
}

/** Refused credentials or access will not change by asking again; a 5xx (the proxy could not reach the host) may. */
function refusal(address: string, target: string, answer: http.IncomingMessage): ProxyError {
  const status = answer.statusCode ?? 0;
  const code = status >= 400 && status < 500 ? "ERR_PROXY_REFUSED" : "";
  const text = `${status}${answer.statusMessage ? ` ${answer.statusMessage}` : ""}`;
  return new ProxyError(`proxy ${address} answered CONNECT ${target} with ${text}`, code);
}
