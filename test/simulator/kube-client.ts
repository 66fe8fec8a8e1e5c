/**
 * A small Kubernetes REST client for the node simulator and the e2e tests: the testbed's admin client
 * certificate over node:https (no client library), JSON requests, and list+watch streams.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import YAML from "yaml";

/** An API answer that is not 2xx; `reason` is the Status reason (NotFound, Conflict, Forbidden…). */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    creationTimestamp?: string;
    generation?: number;
  };
}

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

interface Credentials {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

type UserEntry = {
  name: string;
  user: {
    "client-certificate-data"?: string;
    "client-key-data"?: string;
    "client-certificate"?: string;
    "client-key"?: string;
  };
};
type ClusterEntry = {
  name: string;
  cluster: { server: string; "certificate-authority-data"?: string; "certificate-authority"?: string };
};

/** Reads the current context's server, CA and client certificate (embedded data or file paths). */
function readKubeconfig(path: string): Credentials {
  const config = YAML.parse(readFileSync(path, "utf8")) as {
    "current-context"?: string;
    contexts: { name: string; context: { cluster: string; user: string } }[];
    clusters: ClusterEntry[];
    users: UserEntry[];
  };
  const context = config.contexts.find((c) => c.name === config["current-context"]) ?? config.contexts[0];
  if (!context) throw new Error(`${path}: no context`);
  const cluster = config.clusters.find((c) => c.name === context.context.cluster)?.cluster;
  const user = config.users.find((u) => u.name === context.context.user)?.user;
  if (!cluster || !user) throw new Error(`${path}: context ${context.name} has no cluster or user`);
  const data = (inline: string | undefined, file: string | undefined, what: string) => {
    if (inline) return Buffer.from(inline, "base64");
    if (file) return readFileSync(file);
    throw new Error(`${path}: no ${what}`);
  };
  return {
    server: cluster.server.replace(/\/$/, ""),
    ca: data(cluster["certificate-authority-data"], cluster["certificate-authority"], "CA"),
    cert: data(user["client-certificate-data"], user["client-certificate"], "client certificate"),
    key: data(user["client-key-data"], user["client-key"], "client key"),
  };
}

export interface RequestOptions {
  body?: unknown;
  /** Defaults to application/json; patches name their type. */
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export class KubeClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(private readonly creds: Credentials) {
    this.url = new URL(creds.server);
    this.agent = new Agent({ ca: creds.ca, cert: creds.cert, key: creds.key, keepAlive: true });
  }

  static fromKubeconfig(path: string): KubeClient {
    return new KubeClient(readKubeconfig(path));
  }

  get server(): string {
    return this.creds.server;
  }

  /** One JSON request; a non-2xx answer throws KubeError. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path: withQuery(path, options.query),
          headers: {
            Accept: "application/json",
            ...(body === undefined
              ? {}
              : {
                  "Content-Type": options.contentType ?? "application/json",
                  "Content-Length": Buffer.byteLength(body),
                }),
          },
          signal: options.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    if (status >= 200 && status < 300) return (text === "" ? undefined : JSON.parse(text)) as T;
    let reason = "";
    let message = text.trim();
    try {
      const parsed = JSON.parse(text) as { reason?: string; message?: string };
      reason = parsed.reason ?? "";
      message = parsed.message ?? message;
    } catch {}
    throw new KubeError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`);
  }

  get<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>("GET", path, options);
  }

  /** GET, or null on 404. */
  async getOrNull<T = unknown>(path: string): Promise<T | null> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return null;
      throw error;
    }
  }

  post<T = unknown>(path: string, body: unknown) {
    return this.request<T>("POST", path, { body });
  }

  /** A strategic merge patch (what the kubelet sends for pod and node status). */
  patch<T = unknown>(path: string, body: unknown, type: "strategic" | "merge" = "strategic") {
    const contentType =
      type === "strategic" ? "application/strategic-merge-patch+json" : "application/merge-patch+json";
    return this.request<T>("PATCH", path, { body, contentType });
  }

  /** DELETE with options; true if deleted, false if already gone (404) or replaced (409 precondition). */
  async delete(path: string, body: unknown = {}): Promise<boolean> {
    try {
      await this.request("DELETE", path, {
        body: { apiVersion: "v1", kind: "DeleteOptions", ...(body as object) },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeError && (error.status === 404 || error.status === 409)) return false;
      throw error;
    }
  }

  /**
   * Streams watch events of `path` from `resourceVersion` until the server ends the stream, the signal
   * aborts, or an ERROR event (e.g. 410 Gone) arrives, which is returned for the caller to relist.
   */
  watch<T>(
    path: string,
    resourceVersion: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<{ error?: unknown }> {
    return new Promise((resolve) => {
      const req = request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          method: "GET",
          path: withQuery(path, {
            ...query,
            watch: "1",
            resourceVersion,
            allowWatchBookmarks: "true",
            timeoutSeconds: 300,
          }),
          headers: { Accept: "application/json" },
          signal,
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            resolve({ error: new Error(`watch ${path}: ${res.statusCode}`) });
            return;
          }
          let buffer = "";
          let failed: unknown;
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffer += chunk;
            for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (line === "" || failed) continue;
              const event = JSON.parse(line) as WatchEvent<T>;
              if (event.type === "ERROR") {
                failed = event.object;
                req.destroy();
                resolve({ error: failed });
                return;
              }
              onEvent(event);
            }
          });
          res.on("end", () => resolve({}));
          res.on("error", (error) => resolve({ error }));
          res.on("close", () => resolve({}));
        },
      );
      req.on("error", (error) => resolve({ error }));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function withQuery(path: string, query: RequestOptions["query"]): string {
  const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined) as [string, string][];
  if (entries.length === 0) return path;
  return `${path}${path.includes("?") ? "&" : "?"}${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)]))}`;
}

/** MicroTime as the API wants it: RFC 3339 with exactly six fractional digits. */
export function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Time as the API wants it: RFC 3339, whole seconds. */
export function apiTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
