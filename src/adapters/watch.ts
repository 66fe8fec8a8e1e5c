/**
 * A watch of one namespace's objects that match a label selector, from a list's resourceVersion: one
 * `kubectl get --raw` of the watch URL. The API server sends one JSON event a line and kubectl copies the
 * body to stdout as it arrives, so each change is handed over as it happens, cut to a Shape, until the
 * server ends the watch (`timeoutSeconds`), it fails, or it is stopped.
 */
import { StringDecoder } from "node:string_decoder";
import type { Exec } from "./exec.js";
import { cutParsed, type Shape } from "./json-list-stream.js";
import { kubectlFailure } from "./kubectl-errors.js";
import { type ListedResource, type WatchQuery, watchUri } from "./list-request.js";

export interface WatchChange<T> {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: T;
}

/**
 * How a watch ended: `closed` by the server (its timeout) or by its stop signal; `refused` (RBAC: no `watch`
 * on the resource), which a retry will not change; or `failed` (kubectl's error, an ERROR event such as a
 * resourceVersion too old, output that is not events).
 */
export type WatchEnd = { kind: "closed" } | { kind: "refused" | "failed"; reason: string };

export interface WatchRequest<T> {
  exec: Exec;
  kubectl: string;
  connectionArgs: readonly string[];
  resource: ListedResource;
  query: WatchQuery;
  shape: Shape;
  onChange: (change: WatchChange<T>) => void;
  signal: AbortSignal;
}

/** Runs the watch to its end; never rejects but when kubectl cannot be started. */
export async function watchObjects<T>(request: WatchRequest<T>): Promise<WatchEnd> {
  const { resource, query, shape, onChange } = request;
  const controller = new AbortController();
  const stop = () => controller.abort();
  request.signal.addEventListener("abort", stop, { once: true });
  if (request.signal.aborted) stop();
  let failure: string | null = null;
  const decoder = new StringDecoder("utf8");
  let partial = "";
  const readLine = (line: string) => {
    if (line.trim() === "" || failure !== null) return;
    const event = parseEvent(line);
    if (event === null)
      failure = `kubectl get --raw ${resource.plural}?watch printed what is not a watch event`;
    else if (event.type === "ERROR")
      failure = `the watch of ${resource.plural} ended: ${statusMessage(event.object)}`;
    else if (event.type !== "BOOKMARK")
      onChange({ type: event.type, object: cutParsed(event.object, shape) as T });
    if (failure !== null) controller.abort();
  };
  try {
    // kubectl's --request-timeout bounds the whole response, a streamed one too: it would cut every watch
    // shorter than its timeoutSeconds. The server's timeoutSeconds and the stop signal end it instead.
    const connectionArgs = request.connectionArgs.filter((arg) => !arg.startsWith("--request-timeout="));
    const result = await request.exec(
      request.kubectl,
      [...connectionArgs, "get", "--raw", watchUri(resource, query)],
      {
        signal: controller.signal,
        onStdout: (chunk) => {
          const lines = (partial + (typeof chunk === "string" ? chunk : decoder.write(chunk))).split("\n");
          partial = lines.pop() ?? "";
          for (const line of lines) readLine(line);
        },
      },
    );
    // A stop may cut an event off mid-line: that is no output of the wrong kind.
    if (!request.signal.aborted) readLine(partial);
    if (failure !== null) return { kind: "failed", reason: failure };
    if (request.signal.aborted || result.exitCode === 0) return { kind: "closed" };
    const reason = kubectlFailure(result, "kubectl get").message;
    return { kind: /\(Forbidden\)/.test(result.stderr) ? "refused" : "failed", reason };
  } finally {
    request.signal.removeEventListener("abort", stop);
  }
}

type WatchEvent = { type: WatchChange<unknown>["type"] | "BOOKMARK" | "ERROR"; object: unknown };

const eventTypes = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

function parseEvent(line: string): WatchEvent | null {
  try {
    const event = JSON.parse(line) as Partial<WatchEvent> | null;
    if (!event || typeof event.type !== "string" || !eventTypes.has(event.type)) return null;
    if (event.object === null || typeof event.object !== "object") return null;
    return event as WatchEvent;
  } catch {
    return null;
  }
}

/** An ERROR event's Status, as one line: `410 Expired: too old resource version: …`. */
function statusMessage(status: unknown): string {
  const { code, reason, message } = status as { code?: unknown; reason?: unknown; message?: unknown };
  const head = [code, reason].filter((part) => part !== undefined).join(" ");
  return [head, typeof message === "string" ? message : ""].filter(Boolean).join(": ") || "an ERROR event";
}
