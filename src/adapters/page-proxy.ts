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
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { Exec } from "./exec.js";
import type { ExecResult } from "./exec-result.js";
import { HttpResponseReader, MalformedResponseError, type ResponseHead } from "./http/response-reader.js";
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
  /** Each piece of the body, lent: it is read over by the next one, so what is kept must be copied. */
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
  const sockets = new Set<Socket>();
  const close = () => {
    for (const socket of sockets) socket.destroy();
    stop.abort();
    removePrivateDir(dir);
  };
  if (!started) {
    close();
    return null;
  }
  return {
    get: (uri, options) => getPage(sockets, socketPath, uri, options, proxyRequest.timeoutMs),
    close,
  };
}

/**
 * The longest a Node.js timer waits (~24.8 days); kubectl takes longer timeouts, which then never end a page.
 */
const longestTimerMs = 2 ** 31 - 1;

/** What a connection reads into, over and over: a page's bytes make no garbage on their way in. */
const readBufferBytes = 64 * 1024;

/** A failed answer's body is kept up to this (a Status is small). */
const maxFailureBody = 64 * 1024;

/**
 * One page over a connection of its own, closed after it. Node.js's HTTP client hands over each read in a
 * buffer of its own, which is garbage once read; at 150,000 pods, hundreds of MB of them, which V8 frees
 * only as its heap fills and which held ~30 MB of the plan's memory. Here every read lands in one buffer.
 */
function getPage(
  sockets: Set<Socket>,
  socketPath: string,
  uri: string,
  { signal, onStdout, accept = "application/json", onContentType }: PageOptions,
  timeoutMs: number | undefined,
): Promise<PageResult> {
  // The request line is written as it is: a URI must come encoded (pageUri's are).
  if (/[\s\u007f]|[\u0000-\u001f]/.test(uri)) throw new TypeError(`not an encoded request URI: ${uri}`);
  return new Promise((resolve) => {
    let answer: ResponseHead | null = null;
    let timedOut = false;
    const failureBody: Buffer[] = [];
    let failureBytes = 0;
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
      answer
        ? "error: context deadline exceeded (Client.Timeout or context cancellation while reading body)\n"
        : "Unable to connect to the server: context deadline exceeded (Client.Timeout exceeded while awaiting headers)\n";
    const reader = new HttpResponseReader(
      (head) => {
        answer = head;
        if (head.status === 200) onContentType?.(head.headers.get("content-type") ?? "");
      },
      (piece) => {
        if (answer?.status === 200) onStdout(piece);
        else if (failureBytes < maxFailureBody) {
          failureBody.push(Buffer.from(piece));
          failureBytes += piece.length;
        }
      },
    );
    let brokenFraming = false;
    let trouble: Error | undefined;
    const readInto = Buffer.allocUnsafe(readBufferBytes);
    const socket = connect({
      path: socketPath,
      onread: {
        buffer: readInto,
        // Returns whether to go on reading: always, as a page streams into its list as it comes.
        callback: (length) => {
          if (brokenFraming) return true;
          try {
            reader.write(readInto.subarray(0, length));
          } catch (error) {
            if (!(error instanceof MalformedResponseError)) throw error;
            brokenFraming = true;
            trouble = error;
            socket.destroy();
            return true;
          }
          if (reader.complete) socket.destroy();
          return true;
        },
      },
    });
    sockets.add(socket);
    const stop = () => socket.destroy();
    signal.addEventListener("abort", stop, { once: true });
    if (signal.aborted) stop();
    const timer =
      timeoutMs && timeoutMs > 0 && timeoutMs <= longestTimerMs
        ? setTimeout(() => {
            timedOut = true;
            socket.destroy();
          }, timeoutMs)
        : undefined;
    socket.on("connect", () => {
      socket.write(
        `GET ${uri} HTTP/1.1\r\nHost: localhost\r\nAccept: ${accept}\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on("end", () => reader.end());
    socket.on("error", (error) => {
      trouble ??= error;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      sockets.delete(socket);
      if (answer === null) {
        if (timedOut) failed(deadline());
        else if (signal.aborted) failed("");
        // No answer from the proxy (it has gone): the page can still be read by a kubectl of its own.
        else forKubectl(`error: kubectl proxy: ${trouble?.message ?? "no answer"}\n`, "gone");
      } else if (answer.status !== 200) {
        failedAnswer(answer, Buffer.concat(failureBody));
      } else if (reader.complete) resolve({ exitCode: 0, stdout: "", stderr: "", interrupted: false });
      else if (timedOut) failed(deadline());
      else failed(signal.aborted ? "" : `error: the page from ${uri} ended part way\n`);
    });

    function failedAnswer(head: ResponseHead, body: Buffer) {
      const status = statusFailure(head.status, body);
      // kubectl retries an answer that says when to ask again (a throttled 429, a 503), and tells the
      // proxy's own failure to reach the server (plain text) as a cluster out of reach: both are its.
      if (head.headers.has("retry-after") || status === null) {
        forKubectl(`error: kubectl proxy answered ${head.status}\n`);
      } else {
        failed(status);
      }
    }
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
