/**
 * httpFetch (adapters/http/http-fetch.ts) against real HTTP servers on loopback: HEADs keep their
 * connection, redirects follow fetch's rules (no Authorization to another origin; stricter, no body either)
 * or are the answer, failures have fetch's shape (TypeError with a cause, AbortError). Proxies:
 * test/integration/registry/proxy.test.ts.
 */
import dns from "node:dns";
import http from "node:http";
import { type AddressInfo, isIP, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createHttpFetch, type HttpResponse, httpFetch } from "../../../../src/adapters/http/http-fetch.js";
import { readProxySettings } from "../../../../src/core/proxy.js";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

const servers: http.Server[] = [];

async function textOf(response: HttpResponse): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body ?? []) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server answering with `answer`; records each request and counts connections. */
async function serve(answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body,
      });
      answer(req, res, body);
    });
  });
  server.on("connection", () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, connections: () => connections, server };
}

const manifest = JSON.stringify({ schemaVersion: 2 });

describe("httpFetch", () => {
  it("keeps the connection of a HEAD for the next request, as for a GET", async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": manifest.length });
      res.end(manifest);
    });
    for (let i = 0; i < 5; i++) {
      const head = await httpFetch(`${registry.base}/v2/app/manifests/${i}`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.body).toBeNull();
      expect(head.headers.get("content-length")).toBe(String(manifest.length));
    }
    const get = await httpFetch(`${registry.base}/v2/app/manifests/x`);
    expect(await textOf(get)).toBe(manifest);
    expect(registry.connections()).toBe(1);
  });

  it("follows a redirect to another origin without the Authorization header, and keeps it on the same one; names where the answer came from and which redirects led there", async () => {
    const storage = await serve((_req, res) => res.end("blob"));
    const registry = await serve((req, res) => {
      if (req.url === "/v2/app/blobs/same") res.writeHead(307, { location: "/v2/app/blobs/here" }).end();
      else if (req.url === "/v2/app/blobs/other")
        res.writeHead(302, { location: `${storage.base}/b?sig=1` }).end();
      else res.end("here");
    });
    const headers = { authorization: "Bearer secret-token", accept: "*/*" };
    const same = await httpFetch(`${registry.base}/v2/app/blobs/same`, { headers });
    expect([await textOf(same), same.url]).toEqual(["here", `${registry.base}/v2/app/blobs/here`]);
    // Where the answer came from, so that a caller does not take another origin's answer for the registry's.
    const other = await httpFetch(`${registry.base}/v2/app/blobs/other`, { headers });
    expect([await textOf(other), other.url]).toEqual(["blob", `${storage.base}/b?sig=1`]);
    // And every URL whose redirect led there: whoever answered one chose where it went on to.
    expect([same.redirectedFrom, other.redirectedFrom]).toEqual([
      [`${registry.base}/v2/app/blobs/same`],
      [`${registry.base}/v2/app/blobs/other`],
    ]);
    expect(registry.seen.map((s) => `${s.url} ${s.authorization}`)).toEqual([
      "/v2/app/blobs/same Bearer secret-token",
      "/v2/app/blobs/here Bearer secret-token",
      "/v2/app/blobs/other Bearer secret-token",
    ]);
    expect(storage.seen).toEqual([{ method: "GET", url: "/b?sig=1", authorization: undefined, body: "" }]);
  });

  it("goes on as a GET without the body after a 303, and keeps method and body after a 307", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/token-303") res.writeHead(303, { location: "/after" }).end();
      else if (req.url === "/token-307") res.writeHead(307, { location: "/after" }).end();
      else res.end("ok");
    });
    const post = { method: "POST", headers: { "content-type": "text/plain" }, body: "form" };
    await httpFetch(`${server.base}/token-303`, post);
    await httpFetch(`${server.base}/token-307`, post);
    expect(server.seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      "POST /token-303 form",
      "GET /after ",
      "POST /token-307 form",
      "POST /after form",
    ]);
  });

  it("refuses a 307 or 308 that would carry a body to another origin: a token request's refresh token", async () => {
    const other = await serve((_req, res) => res.end('{"token":"t"}'));
    const realm = await serve((req, res) =>
      res.writeHead(req.url === "/307" ? 307 : 308, { location: `${other.base}/c` }).end(),
    );
    const post = { method: "POST", headers: { "content-type": "text/plain" }, body: "refresh_token=SECRET" };
    for (const path of ["/307", "/308"]) {
      await expect(httpFetch(`${realm.base}${path}`, post)).rejects.toMatchObject({
        name: "TypeError",
        cause: {
          message: `redirect of a POST with a body to another origin (${new URL(other.base).host}) refused`,
        },
      });
    }
    expect(other.seen).toEqual([]);
  });

  it("gives up after 20 redirects, and refuses a redirect out of http(s), as fetch does", async () => {
    const loop = await serve((req, res) => {
      if (req.url === "/file") res.writeHead(302, { location: "file:///etc/passwd" }).end();
      else res.writeHead(302, { location: "/again" }).end();
    });
    await expect(httpFetch(`${loop.base}/start`)).rejects.toMatchObject({
      name: "TypeError",
      cause: { message: "more than 20 redirects" },
    });
    expect(loop.seen).toHaveLength(21);
    await expect(httpFetch(`${loop.base}/file`)).rejects.toMatchObject({
      cause: { message: "redirect to file: refused" },
    });
  });

  it("with redirect: manual, answers with the redirect itself and goes nowhere else", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: "/elsewhere" }).end();
    });
    const answer = await httpFetch(`${server.base}/hook`, { method: "POST", body: "{}", redirect: "manual" });
    expect([answer.status, answer.headers.get("location")]).toEqual([302, "/elsewhere"]);
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /hook"]);
  });

  it("sends a GET or HEAD again on a new connection when a kept one was closed as it was reused; not a POST", async () => {
    // Like a proxy that closes after each answer, or a server that drops an idle connection: the second
    // request on a connection finds it closed.
    const perSocket = new Map<unknown, number>();
    const server = await serve((req, res) => {
      const count = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, count);
      if (count > 1) req.socket.destroy();
      else res.writeHead(200, { "content-length": "2" }).end("ok");
    });
    expect(await textOf(await httpFetch(`${server.base}/first`))).toBe("ok");
    expect((await httpFetch(`${server.base}/again`, { method: "HEAD" })).status).toBe(200);
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET /first",
      "HEAD /again",
      "HEAD /again",
    ]);
    await expect(httpFetch(`${server.base}/post`, { method: "POST", body: "x" })).rejects.toMatchObject({
      name: "TypeError",
      cause: { code: "ECONNRESET" },
    });
  });

  it("answers 204 with no body, and streams a body as it comes", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/empty") res.writeHead(204).end();
      else {
        res.write("first ");
        setTimeout(() => res.end("second"), 20);
      }
    });
    const empty = await httpFetch(`${server.base}/empty`);
    expect([empty.status, empty.body]).toEqual([204, null]);
    expect(await textOf(await httpFetch(`${server.base}/stream`))).toBe("first second");
  });

  it("reads headers as fetch's Headers does: any case, repeated ones joined", async () => {
    const server = await serve((_req, res) => {
      res.setHeader("WWW-Authenticate", ['Bearer realm="https://a.example/token"', 'Basic realm="b"']);
      res.setHeader("Docker-Content-Digest", "sha256:1");
      res.writeHead(401, { "content-length": "0" }).end();
    });
    const answer = await httpFetch(`${server.base}/v2/`, { method: "HEAD" });
    expect(answer.headers.get("www-authenticate")).toBe(
      'Bearer realm="https://a.example/token", Basic realm="b"',
    );
    expect(answer.headers.get("docker-content-digest")).toBe("sha256:1");
    expect(answer.headers.get("DOCKER-CONTENT-DIGEST")).toBe("sha256:1");
    expect(answer.headers.get("ratelimit-remaining")).toBeNull();
  });

  it("a body cut short fails as a network error; a body cancelled ends, and so does its connection", async () => {
    let stalledClosed: Promise<unknown> = Promise.resolve();
    const server = await serve((req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("part");
      if (req.url === "/cut") setTimeout(() => res.destroy(), 20);
      else stalledClosed = new Promise((resolve) => req.socket.once("close", resolve));
    });
    const cut = await httpFetch(`${server.base}/cut`);
    await expect(textOf(cut)).rejects.toMatchObject({ name: "TypeError", cause: { code: "ECONNRESET" } });
    const stalled = await httpFetch(`${server.base}/stalled`);
    await stalled.body?.cancel();
    expect(await textOf(stalled)).toBe("");
    await stalledClosed;
  });

  it("fails like fetch: a TypeError caused by the system's error, an AbortError, a TypeError for a bad header", async () => {
    const closed = await serve(() => {});
    const port = new URL(closed.base).port;
    await new Promise((resolve) => closed.server.close(resolve));
    servers.splice(0);
    await expect(httpFetch(`http://127.0.0.1:${port}/v2/`)).rejects.toMatchObject({
      name: "TypeError",
      message: "fetch failed",
      cause: { code: "ECONNREFUSED" },
    });

    const silent = await serve(() => {});
    await expect(httpFetch(`${silent.base}/v2/`, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      name: "AbortError",
    });

    const error = await httpFetch(`${silent.base}/v2/`, { headers: { authorization: "a\nb" } }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.cause).toBeUndefined();
  });
});

/**
 * A proxy's refusals, which tinyproxy (the integration tests' real proxy) does not give: a 407 to a plain
 * http request (it answers 401, as an origin would), a CONNECT answered 403 or 502. The target host is
 * never contacted: the proxy answers for it, and a name lookup, which only a bypassed proxy would make, fails
 * the test rather than leave this machine.
 */
describe("createHttpFetch through a proxy", () => {
  beforeEach(() => {
    const lookup = dns.lookup;
    vi.spyOn(dns, "lookup").mockImplementation(((hostname: string, ...rest: unknown[]) => {
      if (hostname !== "localhost" && isIP(hostname) === 0) {
        throw new Error(`a DNS lookup of ${hostname} in a unit test: the proxy was bypassed`);
      }
      return (lookup as (...args: unknown[]) => unknown)(hostname, ...rest);
    }) as typeof dns.lookup);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const through = (proxy: string) => {
    const result = readProxySettings({ HTTPS_PROXY: proxy, HTTP_PROXY: proxy });
    if (!result.ok) throw new Error(result.error);
    return createHttpFetch({ proxy: result.settings, connectTimeoutMs: 5_000 });
  };

  it("sends plain http to the proxy as the whole URL with its decoded credentials; its 407 is the proxy's", async () => {
    const proxy = await serve((req, res) => {
      const wanted = `Basic ${Buffer.from("alice:p@ss").toString("base64")}`;
      res
        .writeHead(req.headers["proxy-authorization"] === wanted ? 200 : 407, { "content-length": "0" })
        .end();
    });
    const address = proxy.base.slice("http://".length);
    const ok = await through(`http://alice:p%40ss@${address}`)("http://registry.example:5000/v2/?n=1#top");
    expect(ok.status).toBe(200);
    // The URL in its absolute form, without its fragment, which is never sent.
    expect(proxy.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET http://registry.example:5000/v2/?n=1",
    ]);

    await expect(
      through(`http://alice:wrong@${address}`)("http://registry.example:5000/v2/"),
    ).rejects.toMatchObject({
      name: "TypeError",
      cause: {
        name: "ProxyError",
        code: "ERR_PROXY_REFUSED",
        message: `proxy ${address} answered GET registry.example:5000 with 407 Proxy Authentication Required`,
      },
    });
  });

  describe("a proxy that refused its credentials (407) is not sent them again: each would be a failed login", () => {
    /** A proxy answering every CONNECT 407; the hosts whose CONNECT carried credentials. */
    async function refusingProxy() {
      const proxy = await serve((_req, res) => res.writeHead(407, { "content-length": "0" }).end());
      const logins: string[] = [];
      proxy.server.on("connect", (req: http.IncomingMessage, socket: Socket) => {
        if (req.headers["proxy-authorization"]) logins.push(String(req.url));
        socket.end("HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n");
      });
      return { fetch: through(`http://svc:expired@${proxy.base.slice("http://".length)}`), logins };
    }
    const refused = { cause: { code: "ERR_PROXY_REFUSED" } };

    it("for the next hosts, asked one after the other", async () => {
      const { fetch, logins } = await refusingProxy();
      for (const host of ["registry-1.docker.io", "quay.io", "ghcr.io"]) {
        await expect(fetch(`https://${host}/v2/`)).rejects.toMatchObject(refused);
      }
      expect(logins).toEqual(["registry-1.docker.io:443"]);
      await expect(fetch("https://quay.io/v2/")).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/refused its credentials \(407 .*\): not asked again/) },
      });
    });

    it("for hosts asked at the same time: the first asks, the others wait for its answer", async () => {
      const { fetch, logins } = await refusingProxy();
      const hosts = ["registry-1.docker.io", "quay.io", "ghcr.io", "registry.k8s.io"];
      const answers = await Promise.allSettled(hosts.map((host) => fetch(`https://${host}/v2/`)));
      expect(answers.map((a) => a.status)).toEqual(hosts.map(() => "rejected"));
      expect(logins).toHaveLength(1);
    });

    it("a first tunnel the proxy is slow to answer (it took the login, the host is slow) does not hold the others", async () => {
      const proxy = await serve(() => undefined);
      const held: Socket[] = [];
      proxy.server.on("connect", (req: http.IncomingMessage, socket: Socket) => {
        // slow.example's CONNECT is never answered; the others are refused at once.
        if (req.url?.startsWith("slow.example")) return void held.push(socket);
        socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
      });
      const result = readProxySettings({
        HTTPS_PROXY: `http://svc:pw@${proxy.base.slice("http://".length)}`,
      });
      if (!result.ok) throw new Error(result.error);
      const fetch = createHttpFetch({ proxy: result.settings, connectTimeoutMs: 600_000 });
      const slow = fetch("https://slow.example/v2/").catch((error: unknown) => error);
      // Answered long before the slow tunnel's timeout: it waited only for the proxy's first answer to
      // its login.
      await expect(fetch("https://fast.example/v2/")).rejects.toMatchObject({
        cause: { message: expect.stringContaining("answered CONNECT fast.example:443 with 403") },
      });
      for (const socket of held) socket.destroy();
      expect(await slow).toBeInstanceOf(Error);
    });

    it("without credentials in its URL, a 407 is that host's alone: the proxy may let others through", async () => {
      // A login asked for some destinations only (squid: the registries allowed before
      // `allow authenticated`).
      const proxy = await serve((req, res) =>
        res.writeHead(req.url?.includes("private.example") ? 407 : 200, { "content-length": "0" }).end(),
      );
      const fetch = through(proxy.base.slice("http://".length));
      await expect(fetch("http://private.example/")).rejects.toMatchObject(refused);
      expect((await fetch("http://registry.example/")).status).toBe(200);
      expect(proxy.seen).toHaveLength(2);
    });

    it("a first tunnel that got no connection at all is no answer: the next still asks alone", async () => {
      const proxy = await serve(() => undefined);
      let connects = 0;
      const logins: string[] = [];
      proxy.server.on("connect", (req: http.IncomingMessage, socket: Socket) => {
        // The first is dropped (the proxy restarting); every later one is refused its login.
        if (connects++ === 0) return void socket.destroy();
        logins.push(String(req.url));
        socket.end("HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n");
      });
      const fetch = through(`http://svc:expired@${proxy.base.slice("http://".length)}`);
      const hosts = ["a.example", "b.example", "c.example", "d.example", "e.example"];
      await Promise.allSettled(hosts.map((host) => fetch(`https://${host}/v2/`)));
      expect(logins).toHaveLength(1);
    });

    it("plain http's asked at the same time: the first asks, the others wait for its answer", async () => {
      const proxy = await serve((_req, res) =>
        setTimeout(() => res.writeHead(407, { "content-length": "0" }).end(), 50),
      );
      const fetch = through(`http://svc:expired@${proxy.base.slice("http://".length)}`);
      const hosts = ["a.example:5000", "b.example:5000", "c.example:5000", "d.example:5000"];
      const answers = await Promise.allSettled(hosts.map((host) => fetch(`http://${host}/v2/`)));
      expect(answers.map((a) => a.status)).toEqual(hosts.map(() => "rejected"));
      expect(proxy.seen).toHaveLength(1);
    });

    it("nor plain http's, which the proxy is sent whole", async () => {
      const proxy = await serve((_req, res) => res.writeHead(407, { "content-length": "0" }).end());
      const fetch = through(`http://svc:expired@${proxy.base.slice("http://".length)}`);
      for (const host of ["a.example", "b.example"]) {
        await expect(fetch(`http://${host}/v2/`)).rejects.toMatchObject(refused);
      }
      expect(proxy.seen).toHaveLength(1);
    });
  });

  it("chooses the way again at each redirect; the proxy's credentials never reach an origin", async () => {
    const origin = await serve((req, res) => {
      res.writeHead(200, {
        "content-length": "4",
        "x-proxy-authorization": String(req.headers["proxy-authorization"]),
      });
      res.end("blob");
    });
    // The proxy answers for the registry: its blob is on the origin above, which loopback reaches directly.
    const proxy = await serve((_req, res) => {
      res.writeHead(307, { location: `${origin.base}/blob`, "content-length": "0" }).end();
    });
    const address = proxy.base.slice("http://".length);
    const answer = await through(`http://alice:secret@${address}`)(
      "http://registry.example/v2/app/blobs/sha256:1",
    );
    expect(await textOf(answer)).toBe("blob");
    expect(answer.headers.get("x-proxy-authorization")).toBe("undefined");
    expect(proxy.seen.map((s) => s.url)).toEqual(["http://registry.example/v2/app/blobs/sha256:1"]);
    expect(origin.seen.map((s) => s.url)).toEqual(["/blob"]);
  });

  it("a CONNECT refused is final; one the proxy could not carry out may be asked again", async () => {
    const proxy = await serve(() => undefined);
    proxy.server.on("connect", (req: http.IncomingMessage, socket: Socket) => {
      const status = req.url?.startsWith("denied.example") ? "403 Forbidden" : "502 Bad Gateway";
      socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\n\r\n`);
    });
    const address = proxy.base.slice("http://".length);
    const fetch = through(address);
    await expect(fetch("https://denied.example/v2/")).rejects.toMatchObject({
      cause: {
        code: "ERR_PROXY_REFUSED",
        message: `proxy ${address} answered CONNECT denied.example:443 with 403 Forbidden`,
      },
    });
    await expect(fetch("https://unreachable.example:5000/v2/")).rejects.toMatchObject({
      cause: {
        code: undefined,
        message: `proxy ${address} answered CONNECT unreachable.example:5000 with 502 Bad Gateway`,
      },
    });
  });

  it("a proxy's failure where a redirect led is that origin's, refused before it is sent or after", async () => {
    // Loopback is reached directly: the registry answers, and its blobs are where only the proxy leads.
    const registry = await serve((_req, res) => {
      res.writeHead(307, { location: "https://blobs.example/bucket/blob", "content-length": "0" }).end();
    });
    const blobs = { redirectedTo: "https://blobs.example" };
    await expect(
      through("socks5://127.0.0.1:1080")(`${registry.base}/v2/app/blobs/sha256:1`),
    ).rejects.toMatchObject({ ...blobs, cause: { code: "ERR_PROXY_REFUSED" } });
    const proxy = await serve((_req, res) => res.writeHead(407, { "content-length": "0" }).end());
    proxy.server.on("connect", (_req: http.IncomingMessage, socket: Socket) => {
      socket.end("HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n");
    });
    const fetch = through(`http://svc:expired@${proxy.base.slice("http://".length)}`);
    // The first is refused by the proxy, the second before it is sent: both where the redirect led.
    for (let i = 0; i < 2; i++) {
      await expect(fetch(`${registry.base}/v2/app/blobs/sha256:1`)).rejects.toMatchObject({
        ...blobs,
        cause: { message: expect.stringMatching(/407/) },
      });
    }
  });

  it("a SOCKS or https:// proxy is never used, and never bypassed: the request fails, naming it", async () => {
    await expect(through("socks5://127.0.0.1:1080")("https://registry.example/v2/")).rejects.toMatchObject({
      cause: {
        code: "ERR_PROXY_REFUSED",
        message: "proxy 127.0.0.1:1080: socks5:// proxies are not supported, only http://",
      },
    });
  });
});
