/**
 * A loopback HTTP proxy in front of a real registry that counts every request and can bend answers the way
 * registries and networks misbehave: a fixed status (401, 404, 429, 500…), a server that never answers, a
 * HEAD without Docker-Content-Digest, extra headers (Docker Hub's rate-limit headers), garbage bodies.
 * Rules match by method and path and can be limited to the first N matching requests.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

type Fault =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  | { kind: "hang" }
  | { kind: "strip-digest" }
  | { kind: "add-headers"; headers: Record<string, string> }
  | { kind: "replace-body"; body: string; headers?: Record<string, string> };

interface Rule {
  method?: string;
  /** Matches the request path (query excluded). */
  path: RegExp;
  fault: Fault;
  /** Applies to the first `times` matching requests only. */
  times?: number;
}

interface ProxiedRequest {
  method: string;
  path: string;
  status: number | "hung";
  authorization: boolean;
  /** Who asked: containerd's and docker's pulls say so, the plugin's registry client does not. */
  userAgent: string;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT` — use it as the image's registry host. */
  host: string;
  requests: ProxiedRequest[];
  rules: Rule[];
  /** Requests whose path is a manifest, by method: `{ HEAD: 3, GET: 0 }`. */
  manifestRequests(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const rules: Rule[] = [];
  const used = new Map<Rule, number>();
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const [targetHost, targetPort] = target.split(":") as [string, string];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const entry: ProxiedRequest = {
      method: req.method ?? "",
      path,
      status: 0,
      authorization: req.headers.authorization !== undefined,
      userAgent: req.headers["user-agent"] ?? "",
    };
    requests.push(entry);
    const rule = rules.find(
      (r) =>
        (!r.method || r.method === req.method) &&
        r.path.test(path) &&
        (r.times === undefined || (used.get(r) ?? 0) < r.times),
    );
    if (rule) used.set(rule, (used.get(rule) ?? 0) + 1);
    const fault = rule?.fault;
    if (fault?.kind === "hang") {
      entry.status = "hung";
      req.resume();
      return;
    }
    if (fault?.kind === "status") {
      entry.status = fault.status;
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
      res.end(req.method === "HEAD" ? undefined : (fault.body ?? ""));
      return;
    }
    const upstream = httpRequest(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        if (fault?.kind === "strip-digest") delete headers["docker-content-digest"];
        if (fault?.kind === "add-headers") Object.assign(headers, fault.headers);
        entry.status = answer.statusCode ?? 0;
        if (fault?.kind === "replace-body") {
          answer.resume();
          delete headers["content-length"];
          delete headers["docker-content-digest"];
          res.writeHead(answer.statusCode ?? 502, { ...headers, ...fault.headers });
          res.end(req.method === "HEAD" ? undefined : fault.body);
          return;
        }
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      entry.status = 502;
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    rules,
    manifestRequests() {
      const counts: Record<string, number> = { HEAD: 0, GET: 0 };
      for (const r of requests)
        if (/\/manifests\//.test(r.path)) counts[r.method] = (counts[r.method] ?? 0) + 1;
      return counts;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
