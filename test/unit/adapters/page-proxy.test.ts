/**
 * The page proxy over a real HTTP server on the Unix socket, standing in for kubectl proxy (the answers a
 * real API server cannot be made to give on demand: a 410, a server that never answers, a proxy that dies).
 */
import { existsSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import { readKubectlStderr } from "../../../src/adapters/kubectl-errors.js";
import { isExpiredContinue } from "../../../src/adapters/list-request.js";
import { type PageProxy, startPageProxy, statusFailure } from "../../../src/adapters/page-proxy.js";
import { status } from "../../support/protobuf.js";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** An Exec whose `kubectl proxy` is `answer` served on the socket it is given; every call is recorded. */
function proxyExec(answer: RequestListener, { listens = true } = {}) {
  const calls: string[][] = [];
  let stopped = false;
  const exec: Exec = async (_file, args, options = {}) => {
    calls.push([...args]);
    if (!listens) return { exitCode: 1, stdout: "", stderr: "error: no proxy\n", interrupted: false };
    const socket = args.find((a) => a.startsWith("--unix-socket="))!.slice("--unix-socket=".length);
    const server = createServer(answer);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    options.onStdout?.(`Starting to serve on ${socket}\n`);
    await new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve()));
    stopped = true;
    server.close();
    return { exitCode: 0, stdout: "", stderr: "", interrupted: true };
  };
  return { exec, calls, stopped: () => stopped };
}

async function page(proxy: PageProxy, uri = "/api/v1/pods?limit=2&continue=abc") {
  let body = "";
  const result = await proxy.get(uri, {
    signal: new AbortController().signal,
    onStdout: (chunk) => {
      body += chunk.toString();
    },
  });
  return { ...result, body };
}

/** One page through a proxy that answers with `answer`; the proxy closed after it. */
async function onePage(answer: RequestListener, timeoutMs?: number) {
  const fake = proxyExec(answer);
  const proxy = (await startPageProxy({
    plural: "pods",
    exec: fake.exec,
    kubectl: "kubectl",
    connectionArgs: [],
    ...(timeoutMs ? { timeoutMs } : {}),
  }))!;
  const answered = await page(proxy);
  proxy.close();
  return answered;
}

describe("startPageProxy", () => {
  it("runs kubectl proxy with the connection flags on a socket in a private directory; pages stream through it; close stops it and removes the directory", async () => {
    const hosts: string[] = [];
    const fake = proxyExec((request, response) => {
      hosts.push(String(request.headers.host));
      response.writeHead(200).end(`{"kind":"PodList","path":"${request.url}"}`);
    });
    const proxy = await startPageProxy({
      plural: "pods",
      exec: fake.exec,
      kubectl: "kubectl",
      connectionArgs: ["--context=prod"],
    });
    expect(proxy).not.toBeNull();
    const [args] = fake.calls;
    expect(args?.slice(0, 3)).toEqual(["--context=prod", "proxy", "--append-server-path=true"]);
    const socket = args!.at(-1)!.slice("--unix-socket=".length);
    expect(socket).toMatch(/\/kubectl-autoupdate-proxy-pods-[^/]+\/sock$/);
    const answered = await page(proxy!);
    expect(answered).toMatchObject({ exitCode: 0, stderr: "" });
    expect(answered.body).toBe('{"kind":"PodList","path":"/api/v1/pods?limit=2&continue=abc"}');
    // kubectl proxy refuses any other Host.
    expect(hosts).toEqual(["localhost"]);
    proxy!.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(fake.stopped()).toBe(true);
    expect(existsSync(dirname(socket))).toBe(false);
  });

  it("a proxy that ends without listening gives none, and leaves no directory", async () => {
    const fake = proxyExec(() => {}, { listens: false });
    expect(
      await startPageProxy({ plural: "pods", exec: fake.exec, kubectl: "kubectl", connectionArgs: [] }),
    ).toBeNull();
    const socket = fake.calls[0]!.at(-1)!.slice("--unix-socket=".length);
    expect(existsSync(dirname(socket))).toBe(false);
  });

  it("the API server's Status comes back in kubectl's words: an expired token is recognised as one", async () => {
    const answered = await onePage((_request, response) => {
      response.writeHead(410, { "content-type": "application/json" }).end(
        JSON.stringify({
          kind: "Status",
          status: "Failure",
          reason: "Expired",
          message: "The provided continue parameter is too old",
          code: 410,
        }),
      );
    });
    expect(answered).toMatchObject({
      exitCode: 1,
      stderr: "Error from server (Expired): The provided continue parameter is too old\n",
      body: "",
    });
    expect(isExpiredContinue(answered.stderr)).toBe(true);
  });

  it("asks for the media types given, and tells the one served before the body", async () => {
    const fake = proxyExec((request, response) => {
      response
        .writeHead(200, { "content-type": "application/vnd.kubernetes.protobuf" })
        .end(`accept: ${request.headers.accept}`);
    });
    const proxy = (await startPageProxy({
      plural: "pods",
      exec: fake.exec,
      kubectl: "k",
      connectionArgs: [],
    }))!;
    const told: string[] = [];
    await proxy.get("/api/v1/pods?limit=2&continue=abc", {
      signal: new AbortController().signal,
      accept: "application/vnd.kubernetes.protobuf, application/json",
      onContentType: (type) => told.push(`type ${type}`),
      onStdout: (chunk) => told.push(String(chunk)),
    });
    proxy.close();
    expect(told).toEqual([
      "type application/vnd.kubernetes.protobuf",
      "accept: application/vnd.kubernetes.protobuf, application/json",
    ]);
  });

  it("a Status served as protobuf (asked for first) is told alike: an expired token is recognised", async () => {
    const answered = await onePage((_request, response) => {
      response
        .writeHead(410, { "content-type": "application/vnd.kubernetes.protobuf" })
        .end(status("Expired", "The provided continue parameter is too old"));
    });
    expect(answered).toMatchObject({
      exitCode: 1,
      stderr: "Error from server (Expired): The provided continue parameter is too old\n",
    });
    expect(isExpiredContinue(answered.stderr)).toBe(true);
  });

  it("--request-timeout, which kubectl proxy does not apply, ends a page that is not answered in time, as kubectl says it", async () => {
    const answered = await onePage(() => {}, 50);
    expect(answered).toMatchObject({
      exitCode: 1,
      interrupted: true,
      stderr:
        "Unable to connect to the server: context deadline exceeded (Client.Timeout exceeded while awaiting headers)\n",
    });
    expect(answered.readByKubectl).toBeUndefined();
  });

  it("a --request-timeout beyond what a timer holds (kubectl takes 600h) sets none, rather than one that fires at once", async () => {
    const answered = await onePage((_request, response) => {
      setTimeout(() => response.writeHead(200).end("{}"), 20);
    }, 600 * 3_600_000);
    expect(answered).toMatchObject({ exitCode: 0, stderr: "", body: "{}" });
  });

  it("a page the proxy never received (it has gone) is marked so, to be read another way", async () => {
    const fake = proxyExec((_request, response) => response.writeHead(200).end("{}"));
    const proxy = (await startPageProxy({
      plural: "pods",
      exec: fake.exec,
      kubectl: "kubectl",
      connectionArgs: [],
    }))!;
    for (const server of servers) server.close();
    const answered = await page(proxy);
    proxy.close();
    expect(answered).toMatchObject({ exitCode: 1, readByKubectl: true, proxyGone: true });
  });

  it("an answer that is no HTTP is the proxy's failure: the page is left to a kubectl of its own", async () => {
    const answered = await onePage((request) => request.socket.end("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    expect(answered).toMatchObject({ exitCode: 1, readByKubectl: true, body: "" });
    expect(answered.stderr).toBe("error: kubectl proxy: not an HTTP/1.1 status line: SSH-2.0-OpenSSH_9.2\n");
    const encoded = await onePage((_request, response) =>
      response.writeHead(200, { "transfer-encoding": "gzip, chunked" }).end("{}"),
    );
    expect(encoded).toMatchObject({ exitCode: 1, readByKubectl: true, body: "" });
  });

  it("a body of a Content-Length, and one of chunks however small, are read whole", async () => {
    const body = JSON.stringify({ kind: "PodList", items: [{ metadata: { name: "a" } }] });
    const sized = await onePage((_request, response) =>
      response.writeHead(200, { "content-length": String(body.length) }).end(body),
    );
    expect(sized).toMatchObject({ exitCode: 0, body });
    const chunks = await onePage((_request, response) => {
      response.writeHead(200);
      for (const c of body) response.write(c);
      response.end();
    });
    expect(chunks).toMatchObject({ exitCode: 0, body });
  });

  it("what kubectl would retry (Retry-After) or tell in its own words (kubectl proxy's plain-text 500 when it cannot reach the server) is left to a kubectl of its own", async () => {
    const throttled = await onePage((_request, response) => {
      response.writeHead(429, { "content-type": "application/json", "retry-after": "1" }).end(
        JSON.stringify({
          kind: "Status",
          reason: "TooManyRequests",
          message: "Too many requests",
          code: 429,
        }),
      );
    });
    expect(throttled).toMatchObject({ exitCode: 1, readByKubectl: true });
    // The proxy answered: the pages after it still go through it.
    expect(throttled.proxyGone).toBeUndefined();
    const unreachable = await onePage((_request, response) => {
      response
        .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
        .end("dial tcp 127.0.0.1:6443: connect: connection refused\n");
    });
    expect(unreachable).toMatchObject({ exitCode: 1, readByKubectl: true });
    expect(unreachable.proxyGone).toBeUndefined();
    // A server error the API server states is the page's answer, as kubectl prints it.
    const failing = await onePage((_request, response) => {
      response
        .writeHead(500, { "content-type": "application/json" })
        .end(JSON.stringify({ kind: "Status", reason: "InternalError", message: "etcd is down", code: 500 }));
    });
    expect(failing).toMatchObject({
      exitCode: 1,
      stderr: "Error from server (InternalError): etcd is down\n",
    });
    expect(failing.readByKubectl).toBeUndefined();
  });

  it("a page cut off part way fails: it cannot be read again into the same list", async () => {
    const answered = await onePage((_request, response) => {
      response.writeHead(200);
      response.write('{"kind":"PodList","items":[');
      setTimeout(() => response.destroy(), 5);
    });
    expect(answered).toMatchObject({ exitCode: 1, body: '{"kind":"PodList","items":[' });
    expect(answered.stderr).toMatch(
      /^error: the page from \/api\/v1\/pods\?limit=2&continue=abc ended part way\n$/,
    );
    expect(answered.readByKubectl).toBeUndefined();
  });
});

describe("statusFailure", () => {
  it("a 401 is kubectl's login line, which reads as unauthorized", () => {
    const line = statusFailure(401, '{"kind":"Status","reason":"Unauthorized","message":"Unauthorized"}')!;
    expect(line).toBe("error: You must be logged in to the server (Unauthorized)\n");
    expect(readKubectlStderr(line).problem).toEqual({ kind: "unauthorized" });
  });

  it("a Status without a reason; an answer that is no Status is none", () => {
    expect(statusFailure(500, '{"kind":"Status","message":"etcd is down"}')).toBe(
      "Error from server: etcd is down\n",
    );
    expect(statusFailure(500, "dial tcp 10.0.0.1:6443: connect: connection refused\n")).toBeNull();
    expect(statusFailure(410, "")).toBeNull();
  });
});
