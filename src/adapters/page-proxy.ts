/**
 * One `kubectl proxy` that serves the continued pages of a long list. Every `kubectl get --raw` is a kubectl
 * of its own: ~60 ms of CPU to start, a TLS handshake and, with a credential plugin, a token of its own.
 * At 150,000 pods, 75 of them cost more CPU than reading the pages. Through one proxy the pages cost one
 * kubectl, with the same flags and credentials and the same requests (RBAC sees the same lists).
 *
 * The proxy listens on a Unix socket in a private directory (0700), so no other user reaches the
 * credentials it carries, and it lives only as long as the list. A page's answer is told as `kubectl get
 * --raw` tells it (an ExecResult, its failure in kubectl's words), so paging reads both alike; what kubectl
 * would have retried or told in words of its own is left to a kubectl of its own.
 */
import { Agent, type IncomingMessage, request } from "node:http";
import { join } from "node:path";
import type { Exec } from "./exec.js";
import type { ExecResult } from "./exec-result.js";
import { createPrivateDir, removePrivateDir } from "./private-dir.js";
import { isProtobufBody, protobufStatus } from "./protobuf-list-stream.js";

/**
 * A page's answer, as an exec of `kubectl get --raw` would end. `readByKubectl`: nothing of it was read,
 * and a kubectl of its own should read it (see getPage); `proxyGone`: and so should the pages after it, as
 * the proxy no longer answers.
 */
type PageResult = ExecResult & { readByKubectl?: true; proxyGone?: true };

export interface PageProxy {
  /** One page, its body streamed to `onStdout`; resolves as an exec does (never rejects). */
  get(uri: string, options: PageOptions): Promise<PageResult>;
  close(): void;
}

interface PageOptions {
  signal: AbortSignal;
  onStdout: (chunk: Buffer | string) => void;
  /** The media types asked for (JSON when not given). */
  accept?: string;
  /** The media type served, told before the body. */
  onContentType?: (type: string) => void;
}

export interface PageProxyRequest {
  /** The resource listed (`pods`): its proxy's directory is named after it, so `ps` tells them apart. */
  plural: string;
  exec: Exec;
  kubectl: string;
  connectionArgs: readonly string[];
  /** `--request-timeout` in ms (0 or none: no limit): kubectl proxy takes the flag but does not apply it. */
  timeoutMs?: number;
  /** Stops waiting for the proxy to listen (the list was stopped). */
  signal?: AbortSignal;
}

/** How long the proxy may take to listen before the pages go back to one kubectl each. */
const startTimeoutMs = 10_000;

/** What kubectl proxy prints once it listens. */
const listening = "Starting to serve on ";

/** Starts the proxy; null when it did not come up (the caller reads the pages one kubectl each). */
export async function startPageProxy(proxyRequest: PageProxyRequest): Promise<PageProxy | null> {
  // Node.js reaches a Unix socket through a named pipe on Windows, which kubectl does not serve.
  if (process.platform === "win32") return null;
  const dir = createPrivateDir(`kubectl-autoupdate-proxy-${proxyRequest.plural}`);
  // Short: a socket's path has at most 104 bytes on macOS, whose temporary directory takes ~50.
  const socketPath = join(dir, "sock");
  const stop = new AbortController();
  let printed: string | null = "";
  let told: (up: boolean) => void = () => {};
  const up = new Promise<boolean>((resolve) => {
    told = resolve;
  });
  const run = proxyRequest.exec(
    proxyRequest.kubectl,
    // --append-server-path: a server URL's path (a proxy such as Rancher's) is kept, as get --raw keeps it.
    [...proxyRequest.connectionArgs, "proxy", "--append-server-path=true", `--unix-socket=${socketPath}`],
    {
      signal: stop.signal,
      ownGroup: true,
      onStdout: (chunk) => {
        if (printed === null) return;
        printed += String(chunk);
        if (!printed.includes(listening)) return;
        printed = null;
        told(true);
      },
    },
  );
  run.then(
    () => told(false),
    () => told(false),
  );
  const timer = setTimeout(() => told(false), startTimeoutMs);
  const giveUp = () => told(false);
  proxyRequest.signal?.addEventListener("abort", giveUp, { once: true });
  if (proxyRequest.signal?.aborted) giveUp();
  const started = await up;
  clearTimeout(timer);
  proxyRequest.signal?.removeEventListener("abort", giveUp);
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const close = () => {
    agent.destroy();
    stop.abort();
    removePrivateDir(dir);
  };
  if (!started) {
    close();
    return null;
  }
  return {
    get: (uri, options) => getPage(agent, socketPath, uri, options, proxyRequest.timeoutMs),
    close,
  };
}

/** The longest a Node.js timer waits (~24.8 days); kubectl takes longer timeouts, which then never end a page. */
const longestTimerMs = 2 ** 31 - 1;

function getPage(
  agent: Agent,
  socketPath: string,
  uri: string,
  { signal, onStdout, accept = "application/json", onContentType }: PageOptions,
  timeoutMs: number | undefined,
): Promise<PageResult> {
  return new Promise((resolve) => {
    let answered = false;
    let timedOut = false;
    const failed = (stderr: string) =>
      resolve({ exitCode: 1, stdout: "", stderr, interrupted: signal.aborted || timedOut });
    const forKubectl = (why: string, gone?: "gone") =>
      resolve({
        exitCode: 1,
        stdout: "",
        stderr: why,
        interrupted: false,
        readByKubectl: true,
        ...(gone ? { proxyGone: true } : {}),
      });
    // kubectl's words for its Client.Timeout, which covers the whole request, its body included.
    const deadline = () =>
      answered
        ? "error: context deadline exceeded (Client.Timeout or context cancellation while reading body)\n"
        : "Unable to connect to the server: context deadline exceeded (Client.Timeout exceeded while awaiting headers)\n";
    const call = request(
      { socketPath, path: uri, agent, signal, headers: { host: "localhost", accept } },
      (response) => {
        answered = true;
        if (response.statusCode !== 200) {
          bodyOf(response).then((body) => {
            const code = response.statusCode ?? 0;
            const status = statusFailure(code, body);
            // kubectl retries an answer that says when to ask again (a throttled 429, a 503), and tells the
            // proxy's own failure to reach the server (plain text) as a cluster out of reach: both are its.
            if (response.headers["retry-after"] !== undefined || status === null) {
              forKubectl(`error: kubectl proxy answered ${code}\n`);
            } else {
              failed(status);
            }
          });
          return;
        }
        onContentType?.(response.headers["content-type"] ?? "");
        response.on("data", onStdout);
        response.on("error", () => {});
        response.on("close", () => {
          if (response.complete) resolve({ exitCode: 0, stdout: "", stderr: "", interrupted: false });
          else if (timedOut) failed(deadline());
          else failed(signal.aborted ? "" : `error: the page from ${uri} ended part way\n`);
        });
      },
    );
    const timer =
      timeoutMs && timeoutMs > 0 && timeoutMs <= longestTimerMs
        ? setTimeout(() => {
            timedOut = true;
            call.destroy();
          }, timeoutMs)
        : undefined;
    call.on("close", () => clearTimeout(timer));
    call.on("error", (error) => {
      if (answered) return;
      if (timedOut) failed(deadline());
      else if (signal.aborted) failed("");
      // Nothing reached the proxy (it has gone): the page can still be read by a kubectl of its own.
      else forKubectl(`error: kubectl proxy: ${error.message}\n`, "gone");
    });
    call.end();
  });
}

/** A failed answer's body, up to 64 KB (a Status is small). */
function bodyOf(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = () => resolve(Buffer.concat(chunks));
    response.on("data", (chunk: Buffer) => {
      if (length >= 65_536) return;
      chunks.push(chunk);
      length += chunk.length;
    });
    response.on("end", done);
    response.on("close", done);
    response.on("error", () => {});
  });
}

/**
 * The API server's Status (as JSON, or as protobuf when that was asked for) as `kubectl get --raw` prints
 * it: `Error from server (Reason): message`, a 401 as kubectl's login line; null for an answer that is no
 * Status.
 */
export function statusFailure(code: number, body: Buffer | string): string | null {
  const status = statusOf(body);
  if (status === null) return null;
  if (code === 401) {
    return `error: You must be logged in to the server (${status.message || "Unauthorized"})\n`;
  }
  if (!status.message) return null;
  return status.reason
    ? `Error from server (${status.reason}): ${status.message}\n`
    : `Error from server: ${status.message}\n`;
}

function statusOf(body: Buffer | string): { reason?: string; message?: string } | null {
  if (typeof body !== "string" && isProtobufBody(body)) return protobufStatus(body);
  try {
    const parsed = JSON.parse(String(body)) as { kind?: unknown; reason?: unknown; message?: unknown };
    if (parsed?.kind !== "Status") return null;
    return {
      ...(typeof parsed.reason === "string" && parsed.reason ? { reason: parsed.reason } : {}),
      ...(typeof parsed.message === "string" ? { message: parsed.message } : {}),
    };
  } catch {
    return null;
  }
}
