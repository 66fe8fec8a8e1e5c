/**
 * The registry resolver behind a real forward proxy (Debian's tinyproxy) as HTTPS_PROXY, HTTP_PROXY and
 * NO_PROXY say, read as kubectl reads them: https through a CONNECT tunnel with TLS end to end, plain http
 * by the whole URL, loopback and NO_PROXY direct, the proxy's credentials from its URL and never shown, and
 * a proxy that refuses or is down named in the container's reason. The registries listen on the
 * integration project's local address (loopback is never proxied).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pushCraftedImage } from "../../support/crafted-image.js";
import { FakeCluster } from "../../support/fake-kubectl.js";
import { type HttpProxy, startHttpProxy } from "../../support/http-proxy.js";
import { makeReplicaSet } from "../../support/pods.js";
import { anonymous, type Registry, startRegistry } from "../../support/registry/distribution.js";
import {
  basicForms,
  deploymentPod,
  expectNoSecrets,
  type PlanRun,
  removeTempDirs,
  rows,
  runPlan,
} from "../../support/registry/harness.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/registry/tls-registry.js";

const user = "proxy-user";
/** tinyproxy takes only [-a-z0-9._] in a password: the URL encodes every character, to prove decoding. */
const password = "pr0xy-s3cret";
const encoded = [...password].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("");

/** Pushed to through loopback; the https registry serves its storage on the local address. */
let loopback: Registry;
let secure: TlsRegistry;
/** Plain http on the local address. */
let plain: Registry;
let proxy: HttpProxy;
let guarded: HttpProxy;
let digest: string;

beforeAll(async () => {
  const address = inject("localAddress");
  loopback = await startRegistry();
  secure = await startTlsRegistry(join(loopback.dir, "data"), address);
  plain = await startRegistry(anonymous, address);
  proxy = await startHttpProxy();
  guarded = await startHttpProxy({ user, password });
  const image = { content: "proxied v1" };
  digest = (await pushCraftedImage(loopback.host, "proxied/app", "latest", image)).manifest;
  expect((await pushCraftedImage(plain.host, "proxied/app", "latest", image)).manifest).toBe(digest);
});
afterAll(async () => {
  removeTempDirs();
  await Promise.all([guarded?.stop(), proxy?.stop(), plain?.stop(), secure?.stop(), loopback?.stop()]);
});

/** One pod running `host`'s proxied/app:latest at its current digest, planned (with -v) with `env`. */
function plan(host: string, env: NodeJS.ProcessEnv, extra: string[] = ["-v"]): Promise<PlanRun> {
  const cluster = new FakeCluster({
    pods: [deploymentPod("app-1", `${host}/proxied/app:latest`, digest)],
    objects: [makeReplicaSet("web-7d9c8b", "web")],
  });
  const args = ["plan", "--resolver", "registry", "-o", "json", "--registry-retries", "0", ...extra];
  return runPlan(cluster, args, { env: { NODE_EXTRA_CA_CERTS: secure.caPath, ...env } });
}

const current = [["app-1", "none", "current", ""]];

/** The proxy's requests during `run`. */
async function through(
  via: HttpProxy,
  run: () => Promise<PlanRun>,
): Promise<{ run: PlanRun; requests: string[] }> {
  const before = via.requests().length;
  const result = await run();
  return { run: result, requests: via.requests().slice(before) };
}

describe("HTTPS_PROXY and HTTP_PROXY", () => {
  it("https goes through one CONNECT tunnel, kept for the requests that follow", async () => {
    const { run, requests } = await through(proxy, () =>
      plan(secure.host, { HTTPS_PROXY: `http://${proxy.address}` }),
    );
    expect(rows(run)).toEqual(current);
    expect(run.stderr).toContain(
      `registry: https through the proxy ${proxy.address} unless NO_PROXY says not`,
    );
    expect(run.stderr).toContain(
      `registry: HEAD https://${secure.host}/v2/proxied/app/manifests/latest → 200`,
    );
    expect(run.stderr.match(/registry: \w+ https:\/\/\S+ → \d+/g)!.length).toBeGreaterThan(1);
    expect(requests).toEqual([`CONNECT ${secure.host}`]);

    // The registry's certificate is checked through the tunnel as on a direct connection.
    const untrusted = await plan(secure.host, {
      HTTPS_PROXY: `http://${proxy.address}`,
      NODE_EXTRA_CA_CERTS: "",
    });
    const [row] = rows(untrusted);
    expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(row![3]).toMatch(/: TLS error: .*certificate/);
  });

  it("plain http (--insecure-registry) goes to the proxy as whole URLs; HTTPS_PROXY alone does not serve it", async () => {
    const { run, requests } = await through(proxy, () =>
      plan(plain.host, { HTTP_PROXY: proxy.address }, ["-v", "--insecure-registry", plain.host]),
    );
    expect(rows(run)).toEqual(current);
    expect(requests).toContain(`HEAD http://${plain.host}/v2/proxied/app/manifests/latest`);
    expect(requests.every((r) => r.includes(` http://${plain.host}/v2/`))).toBe(true);

    const httpsOnly = await through(proxy, () =>
      plan(plain.host, { HTTPS_PROXY: proxy.address }, ["-v", "--insecure-registry", plain.host]),
    );
    expect(rows(httpsOnly.run)).toEqual(current);
    expect(httpsOnly.requests).toEqual([]);
  });

  it("NO_PROXY and loopback registries go direct, even with a proxy that is down", async () => {
    const down = "http://127.0.0.1:1";
    const excepted = await plan(secure.host, {
      HTTPS_PROXY: down,
      no_proxy: `example.com, ${inject("localAddress")}`,
    });
    expect(rows(excepted)).toEqual(current);
    const local = await plan(loopback.host, { HTTPS_PROXY: down, HTTP_PROXY: down });
    expect(rows(local)).toEqual(current);
  });
});

describe("a proxy that asks for credentials, refuses or is down", () => {
  it("takes the credentials from its URL and never shows them; wrong ones leave the container unknown with the proxy's answer", async () => {
    const good = await through(guarded, () =>
      plan(secure.host, { HTTPS_PROXY: `http://${user}:${encoded}@${guarded.address}` }),
    );
    expect(rows(good.run)).toEqual(current);
    expect(good.requests).toEqual([`CONNECT ${secure.host}`]);

    // tinyproxy answers a CONNECT with wrong credentials 401 where 407 would be usual. Retries are allowed,
    // and none is made: the answer will not change by asking again.
    const bad = await through(guarded, () =>
      plan(secure.host, { HTTPS_PROXY: `http://${user}:wrong-${encoded}@${guarded.address}` }, [
        "-v",
        "--registry-retries",
        "2",
      ]),
    );
    const [row] = rows(bad.run);
    expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(row![3]).toBe(
      `${secure.host}: proxy ${guarded.address} answered CONNECT ${secure.host} with 401 Unauthorized`,
    );
    expect(bad.requests).toEqual([`CONNECT ${secure.host}`]);
    expect(bad.run.stderr).not.toContain("retrying");

    // (A proxy's 407 to a plain http request is told from the registry's answers: the unit tests show it,
    // since tinyproxy answers 401 there, as an origin would.)
    for (const run of [good.run, bad.run]) {
      expectNoSecrets(
        { stdout: run.stdout, stderr: run.stderr, tmp: run.leftoverText },
        basicForms(user, password),
      );
    }
  });

  it("a proxy that is down: unknown, naming the proxy and not the registry's own address", async () => {
    const run = await plan(secure.host, { HTTPS_PROXY: "http://127.0.0.1:1" });
    const [row] = rows(run);
    expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(row![3]).toMatch(
      new RegExp(`^${literal(secure.host)}: proxy 127\\.0\\.0\\.1:1: connect ECONNREFUSED 127\\.0\\.0\\.1:1`),
    );
  });

  it("a SOCKS proxy: what it would serve is unknown, saying so, never reached directly; NO_PROXY exempts", async () => {
    const socks = `socks5://${user}:${encoded}@127.0.0.1:1080`;
    const run = await plan(secure.host, { HTTPS_PROXY: socks });
    const [row] = rows(run);
    expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(row![3]).toBe(
      `${secure.host}: proxy 127.0.0.1:1080: socks5:// proxies are not supported, only http://`,
    );
    expect(run.stderr).not.toContain(`https://${secure.host}/v2/proxied/app/manifests/latest → `);
    expectNoSecrets({ stdout: run.stdout, stderr: run.stderr }, basicForms(user, password));

    const exempt = await plan(secure.host, { HTTPS_PROXY: socks, NO_PROXY: inject("localAddress") });
    expect(rows(exempt)).toEqual(current);
  });

  it("a variable that is no proxy address stops the run with one line, not quoting it", async () => {
    const run = await plan(secure.host, { https_proxy: `http://${user}:${password}@proxy corp:3128` }, []);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim()).toBe("error: https_proxy: not a proxy address (want http://HOST:PORT)");
  });
});

/** `text` as a literal in a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
