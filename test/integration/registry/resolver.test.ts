/**
 * `plan`/`apply --resolver registry` through the built CLI against the real distribution registry: an
 * anonymous one behind a counting proxy, one with htpasswd (Basic), and one with `auth: token` whose Bearer
 * tokens are real JWTs from test/support/registry/token-server.ts, verified by the registry's own code.
 * kubectl is the recording fake.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeCluster, pullSecret } from "../../support/fake-kubectl.js";
import { pushImage, pushIndex } from "../../support/images.js";
import { makePod, makeReplicaSet } from "../../support/pods.js";
import { type Registry, startRegistry } from "../../support/registry/distribution.js";
import { type FaultProxy, startFaultProxy } from "../../support/registry/fault-proxy.js";
import {
  deploymentPod,
  expectNoSecrets,
  loginConfig,
  planOf,
  removeTempDirs,
  rows,
  runPlan,
  startTokenRegistry,
  type TokenRegistry,
} from "../../support/registry/harness.js";

const owners = [makeReplicaSet("web-7d9c8b", "web")];
const registryPlan = ["plan", "--resolver", "registry", "-o", "json"];

let open: Registry;
let proxy: FaultProxy;

beforeAll(async () => {
  open = await startRegistry();
  proxy = await startFaultProxy(open.host);
});
afterAll(async () => {
  removeTempDirs();
  await proxy?.stop();
  await open?.stop();
});

describe("registry resolver: tags moved or not", () => {
  it("nothing moved: one HEAD per unique reference, no GET; then stale once moved, and apply deletes exactly those", async () => {
    const web = `${proxy.host}/web:latest`;
    const api = `${proxy.host}/api:1.0`;
    const multi = `${proxy.host}/multi:latest`;
    const webV1 = await pushImage(`${open.host}/web:latest`, "web v1");
    const apiV1 = await pushImage(`${open.host}/api:1.0`, "api v1");
    const multiV1 = await pushIndex(`${open.host}/multi:latest`, {
      amd64: "m amd64 v1",
      arm64: "m arm64 v1",
    });
    const pods = [
      deploymentPod("web-1", web, webV1),
      deploymentPod("web-2", `${proxy.host}/web`, webV1, { runtime: "cri-dockerd" }),
      deploymentPod("web-3", web, webV1, { runtime: "cri-o" }),
      deploymentPod("api-1", api, apiV1),
      deploymentPod("api-2", api, apiV1),
      // containerd runs the index digest of a multi-arch tag: the HEAD alone proves it current.
      deploymentPod("multi-1", multi, multiV1.index),
      makePod({ name: "bare", owner: null, containers: [{ name: "app", image: web, runningDigest: webV1 }] }),
    ];
    const cluster = new FakeCluster({ pods, objects: owners });

    proxy.requests.length = 0;
    const quiet = await runPlan(cluster, registryPlan);
    const doc = planOf(quiet);
    expect(doc.resolver).toBe("registry");
    expect(doc.pods.map((p) => [p.name, p.action, p.containers[0]!.status])).toEqual([
      ["web-1", "none", "current"],
      ["web-2", "none", "current"],
      ["web-3", "none", "current"],
      ["api-1", "none", "current"],
      ["api-2", "none", "current"],
      ["multi-1", "none", "current"],
      ["bare", "none", "current"],
    ]);
    expect(doc.pods[0]!.containers[0]).toMatchObject({ runningDigest: webV1, latestDigest: webV1 });
    expect(proxy.manifestRequests()).toEqual({ HEAD: 3, GET: 0 });
    expect(
      proxy.requests
        .filter((r) => r.method === "HEAD")
        .map((r) => r.path)
        .sort(),
    ).toEqual(["/v2/api/manifests/1.0", "/v2/multi/manifests/latest", "/v2/web/manifests/latest"]);
    // Besides the manifests, only the API version check, once for the host.
    expect(
      proxy.requests.filter((r) => !r.path.includes("/manifests/")).map((r) => `${r.method} ${r.path}`),
    ).toEqual(["GET /v2/"]);

    const webV2 = await pushImage(`${open.host}/web:latest`, "web v2");
    const moved = await runPlan(cluster, registryPlan);
    expect(rows(moved).map(([name, action, status]) => [name, action, status])).toEqual([
      ["web-1", "delete", "stale"],
      ["web-2", "delete", "stale"],
      ["web-3", "delete", "stale"],
      ["api-1", "none", "current"],
      ["api-2", "none", "current"],
      ["multi-1", "none", "current"],
      ["bare", "skip", "stale"],
    ]);
    expect(planOf(moved).pods[0]!.containers[0]).toMatchObject({ runningDigest: webV1, latestDigest: webV2 });

    const applied = await runPlan(cluster, ["apply", "--resolver", "registry", "--yes", "--no-wait"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(cluster.podNames()).toEqual(["api-1", "api-2", "multi-1", "bare"]);
    expect(applied.leftovers).toEqual([]);
  });

  it("a multi-arch index: CRI-O's platform digest is current (one HEAD, one GET of the index); moved → stale", async () => {
    const image = `${proxy.host}/arch:latest`;
    const v1 = await pushIndex(`${open.host}/arch:latest`, {
      amd64: "arch amd64 v1",
      arm64: "arch arm64 v1",
    });
    const pods = [
      deploymentPod("arch-crio-arm", image, v1.arm64, { runtime: "cri-o", node: "arm-node" }),
      deploymentPod("arch-crio-amd", image, v1.amd64, { runtime: "cri-o" }),
      deploymentPod("arch-containerd", image, v1.index),
    ];
    const cluster = new FakeCluster({ pods, objects: owners });
    proxy.requests.length = 0;
    const before = await runPlan(cluster, registryPlan);
    expect(rows(before).map(([, action, status]) => [action, status])).toEqual([
      ["none", "current"],
      ["none", "current"],
      ["none", "current"],
    ]);
    expect(proxy.manifestRequests()).toEqual({ HEAD: 1, GET: 1 });
    expect(proxy.requests.find((r) => r.method === "GET" && r.path.includes("/manifests/"))!.path).toBe(
      `/v2/arch/manifests/${v1.index}`,
    );

    const v2 = await pushIndex(`${open.host}/arch:latest`, {
      amd64: "arch amd64 v2",
      arm64: "arch arm64 v2",
    });
    const after = await runPlan(cluster, registryPlan);
    expect(rows(after).map(([, action, status]) => [action, status])).toEqual([
      ["delete", "stale"],
      ["delete", "stale"],
      ["delete", "stale"],
    ]);
    expect(planOf(after).pods[0]!.containers[0]!.latestDigest).toBe(v2.index);
  });

  it("-o wide and -v show Docker Hub's remaining pulls; -v counts the requests", async () => {
    const image = `${proxy.host}/limited:latest`;
    const v1 = await pushImage(`${open.host}/limited:latest`, "limited v1");
    const cluster = new FakeCluster({ pods: [deploymentPod("limited-1", image, v1)], objects: owners });
    proxy.rules.push({
      method: "HEAD",
      path: /\/limited\/manifests\//,
      fault: {
        kind: "add-headers",
        headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "76;w=21600" },
      },
    });
    try {
      const wide = await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "wide"]);
      expect(wide.code, wide.stderr).toBe(0);
      expect(wide.stderr).toContain(
        `${proxy.host}: 76 of 100 pulls left (per 6h); HEAD requests do not count`,
      );
      const verbose = await runPlan(cluster, [...registryPlan, "-v"]);
      expect(planOf(verbose).pods[0]!.containers[0]!.status).toBe("current");
      expect(verbose.stderr).toContain(`${proxy.host}: 76 of 100 pulls left`);
      expect(verbose.stderr).toContain(
        "registry requests: 1 HEAD, 0 GET, 0 config, 0 token, 1 version check (0 retries)",
      );
      expect(verbose.stderr).toMatch(
        /registry: HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/limited\/manifests\/latest → 200/,
      );
      const table = await runPlan(cluster, ["plan", "--resolver", "registry"]);
      expect(table.stderr).not.toContain("pulls left");
    } finally {
      proxy.rules.length = 0;
    }
  });
});

describe("registry resolver: --max-requests", () => {
  it("no request beyond the budget reaches the registry; what was not asked is unknown, said on stderr, not restarted", async () => {
    const names = ["budget-a", "budget-b", "budget-c"];
    const pods = [];
    for (const name of names) {
      const v1 = await pushImage(`${open.host}/${name}:latest`, `${name} v1`);
      await pushImage(`${open.host}/${name}:latest`, `${name} v2`);
      pods.push(deploymentPod(`${name}-1`, `${proxy.host}/${name}:latest`, v1));
    }
    const cluster = new FakeCluster({ pods, objects: owners });

    proxy.requests.length = 0;
    // The version check and one HEAD: one tag is asked about, and it moved; its manifests are not read.
    const run = await runPlan(cluster, [...registryPlan, "--max-requests", "2"]);
    expect(proxy.requests).toHaveLength(2);
    const statuses = rows(run).map(([, action, status, reason]) => `${action} ${status} ${reason}`);
    const spent = "not asked: the run's 2 registry requests (--max-requests) were spent";
    // The tag asked about moved, but its manifests, which would prove the pod stale, were not read.
    expect(statuses.filter((s) => s.startsWith("none unknown ") && s.endsWith(spent))).toHaveLength(3);
    expect(run.stderr).toContain(
      "registry: --max-requests 2: every request it allows was sent, and more were needed",
    );

    const applied = await runPlan(cluster, [
      "apply",
      "--resolver",
      "registry",
      "--max-requests",
      "2",
      "--yes",
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(cluster.podNames()).toEqual(names.map((name) => `${name}-1`));

    // With room, the same pods are stale.
    const roomy = await runPlan(cluster, [...registryPlan, "--max-requests", "100"]);
    expect(rows(roomy).map(([, action, status]) => `${action} ${status}`)).toEqual(
      names.map(() => "delete stale"),
    );
    expect(roomy.stderr).not.toContain("--max-requests");
  });
});

describe("registry resolver: Basic auth (htpasswd)", () => {
  const user = { user: "ci", password: "b4sic-Pa55word" };
  let priv: Registry;
  beforeAll(async () => {
    priv = await startRegistry({ htpasswd: user });
  });
  afterAll(async () => {
    await priv?.stop();
  });

  it("pull secrets in kubelet order: a wrong one, then the right one; none → unknown; secrets never shown", async () => {
    const image = `${priv.host}/private:main`;
    const v1 = await pushImage(image, "private v1", {
      configDir: loginConfig(priv.host, user.user, user.password),
    });
    const secrets = [
      pullSecret("stale-cred", "default", {
        [priv.host]: { username: user.user, password: "old-password-123" },
      }),
      pullSecret("regcred", "default", { [priv.host]: { username: user.user, password: user.password } }),
    ];
    const cluster = new FakeCluster({
      pods: [
        deploymentPod("with-secrets", image, v1, { imagePullSecrets: ["stale-cred", "regcred"] }),
        deploymentPod("wrong-only", `${priv.host}/private:other`, v1, { imagePullSecrets: ["stale-cred"] }),
      ],
      objects: owners,
      secrets,
    });
    const run = await runPlan(cluster, [...registryPlan, "-v"]);
    expect(rows(run)).toEqual([
      ["with-secrets", "none", "current", ""],
      ["wrong-only", "none", "unknown", "access denied: 401 unauthorized (with secret default/stale-cred)"],
    ]);

    const anonymous = new FakeCluster({ pods: [deploymentPod("no-secret", image, v1)], objects: owners });
    const denied = await runPlan(anonymous, registryPlan);
    expect(rows(denied)).toEqual([
      [
        "no-secret",
        "none",
        "unknown",
        `access denied: 401 unauthorized (anonymous); no credential matches ${priv.host}`,
      ],
    ]);

    expectNoSecrets(
      {
        stdout: run.stdout,
        stderr: run.stderr,
        kubectlArgv: JSON.stringify(cluster.calls().map((c) => c.argv)),
        leftovers: run.leftoverText,
      },
      [user.password, "old-password-123", `${user.user}:${user.password}`],
    );
    expect(run.leftovers).toEqual([]);
  });
});

describe("registry resolver: Bearer tokens from a token server the registry trusts", () => {
  const user = { user: "robot", password: "t0ken-Pa55word" };
  let bearer: TokenRegistry;
  beforeAll(async () => {
    bearer = await startTokenRegistry({
      users: { [user.user]: user.password },
      anonymousPull: ["public/app"],
    });
  });
  afterAll(async () => {
    await bearer?.stop();
  });

  it("anonymous token for a public repository, Basic credentials for a private one, one token per repository", async () => {
    const host = bearer.registry.host;
    const login = loginConfig(host, user.user, user.password);
    const pub = await pushImage(`${host}/public/app:latest`, "public v1", { configDir: login });
    const priv = await pushImage(`${host}/team/app:latest`, "team v1", { configDir: login });
    const priv2 = await pushImage(`${host}/team/app:canary`, "team canary", { configDir: login });
    const cluster = new FakeCluster({
      pods: [
        deploymentPod("public", `${host}/public/app`, pub),
        deploymentPod("team", `${host}/team/app:latest`, priv, { imagePullSecrets: ["robot"] }),
        deploymentPod("canary", `${host}/team/app:canary`, priv2, { imagePullSecrets: ["robot"] }),
        // Pods share one resolution per reference: another repository, so this one really has no credential.
        deploymentPod("team-no-secret", `${host}/team/other:latest`, priv),
      ],
      objects: owners,
      secrets: [pullSecret("robot", "default", { [host]: { username: user.user, password: user.password } })],
    });
    bearer.tokens.calls.length = 0;
    const run = await runPlan(cluster, [...registryPlan, "--concurrency", "1"]);
    expect(rows(run)).toEqual([
      ["public", "none", "current", ""],
      ["team", "none", "current", ""],
      ["canary", "none", "current", ""],
      [
        "team-no-secret",
        "none",
        "unknown",
        `access denied: 401 unauthorized (anonymous); no credential matches ${host}`,
      ],
    ]);
    const calls = bearer.tokens.calls.map((c) => [c.grant, c.user, c.scopes.join(" ")]);
    expect(calls).toEqual(
      expect.arrayContaining([
        ["anonymous", null, "repository:public/app:pull"],
        ["basic", user.user, "repository:team/app:pull"],
        ["anonymous", null, "repository:team/other:pull"],
      ]),
    );
    // The two tags of team/app with the same credential share one token.
    expect(calls.filter(([grant]) => grant === "basic")).toHaveLength(1);
    expect(bearer.tokens.calls.every((c) => c.service === bearer.tokens.service)).toBe(true);
    expectNoSecrets({ stdout: run.stdout, stderr: run.stderr, leftovers: run.leftoverText }, [user.password]);
  });

  it("the registry refuses a token signed by a key it does not trust: unknown, not current", async () => {
    const rogue = await startTokenRegistry({ users: { [user.user]: user.password } });
    const impostor = await import("../../support/registry/token-server.js").then((m) =>
      m.startTokenServer({
        users: { [user.user]: user.password },
        service: rogue.tokens.service,
        issuer: rogue.tokens.issuer,
      }),
    );
    try {
      const host = rogue.registry.host;
      const v1 = await pushImage(`${host}/team/app:latest`, "rogue v1", {
        configDir: loginConfig(host, user.user, user.password),
      });
      const secret = pullSecret("robot", "default", {
        [host]: { username: user.user, password: user.password },
      });
      const cluster = new FakeCluster({
        pods: [deploymentPod("team", `${host}/team/app:latest`, v1, { imagePullSecrets: ["robot"] })],
        objects: owners,
        secrets: [secret],
      });
      expect(rows(await runPlan(cluster, registryPlan))[0]!.slice(1, 3)).toEqual(["none", "current"]);
      // Same registry, its challenges rewritten by a proxy to send clients to a token server it does
      // not trust.
      const tampered = await startFaultProxy(host);
      try {
        tampered.rules.push({
          path: /^\/v2\//,
          fault: {
            kind: "add-headers",
            headers: { "www-authenticate": `Bearer realm="${impostor.realm}",service="${impostor.service}"` },
          },
        });
        const image = `${tampered.host}/team/app:latest`;
        const cluster2 = new FakeCluster({
          pods: [deploymentPod("team", image, v1, { imagePullSecrets: ["robot"] })],
          objects: owners,
          secrets: [
            pullSecret("robot", "default", {
              [tampered.host]: { username: user.user, password: user.password },
            }),
          ],
        });
        const [row] = rows(await runPlan(cluster2, registryPlan));
        expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
        expect(row![3]).toMatch(/^access denied: 401 unauthorized \(with secret default\/robot\)/);
        expect(impostor.calls.length).toBeGreaterThan(0);
      } finally {
        await tampered.stop();
      }
    } finally {
      await impostor.stop();
      await rogue.stop();
    }
  });

  it("tokens signed with an EC key named by libtrust key ID (kid) are accepted too", async () => {
    const ec = await startTokenRegistry({
      users: { [user.user]: user.password },
      keyType: "ec",
      keyRef: "kid",
    });
    try {
      const host = ec.registry.host;
      const v1 = await pushImage(`${host}/team/app:latest`, "ec v1", {
        configDir: loginConfig(host, user.user, user.password),
      });
      const cluster = new FakeCluster({
        pods: [deploymentPod("team", `${host}/team/app:latest`, v1, { imagePullSecrets: ["robot"] })],
        objects: owners,
        secrets: [
          pullSecret("robot", "default", { [host]: { username: user.user, password: user.password } }),
        ],
      });
      expect(rows(await runPlan(cluster, registryPlan))).toEqual([["team", "none", "current", ""]]);
    } finally {
      await ec.stop();
    }
  });
});

describe("registry resolver: requests after a multi-arch tag moved", () => {
  /** Every request the proxy saw, as `METHOD path` with digests named, sorted. */
  function seen(names: Record<string, string>): string[] {
    return proxy.requests
      .map((r) => `${r.method} ${Object.entries(names).reduce((p, [name, d]) => p.replace(d, name), r.path)}`)
      .sort();
  }

  it("containerd (index digest) and CRI-O (platform digests): exactly the HEADs and GETs the verdict needs", async () => {
    const image = `${proxy.host}/moves:latest`;
    const v1 = await pushIndex(`${open.host}/moves:latest`, {
      amd64: "moves amd64 v1",
      arm64: "moves arm64 v1",
    });
    const v2 = await pushIndex(`${open.host}/moves:latest`, {
      amd64: "moves amd64 v2",
      arm64: "moves arm64 v2",
    });
    const names = {
      "<v1 index>": v1.index,
      "<v1 amd64>": v1.amd64,
      "<v1 arm64>": v1.arm64,
      "<v2 index>": v2.index,
      "<v2 amd64>": v2.amd64,
      "<v2 arm64>": v2.arm64,
    };
    const containerdPods = [
      deploymentPod("moves-containerd-1", image, v1.index),
      deploymentPod("moves-containerd-2", image, v1.index, { node: "node-2" }),
    ];
    const crioPods = [
      deploymentPod("moves-crio-amd", image, v1.amd64, { runtime: "cri-o" }),
      deploymentPod("moves-crio-arm", image, v1.arm64, { runtime: "cri-o", node: "arm-node" }),
    ];
    const planFor = async (pods: ReturnType<typeof deploymentPod>[]) => {
      proxy.requests.length = 0;
      const run = await runPlan(new FakeCluster({ pods, objects: owners }), registryPlan);
      const doc = planOf(run);
      return {
        verdicts: doc.pods.map((p) => [p.name, p.action, p.containers[0]!.status]),
        latest: doc.pods.map((p) => p.containers[0]!.latestDigest),
        counts: proxy.manifestRequests(),
        requests: seen(names),
      };
    };

    // containerd: the HEAD names a new index; the tag's index and the running index are read once each
    // (two pods, one reference) and compared platform by platform; each platform's child digests differ,
    // so their manifests are read for their configs (the same image under another digest would be
    // current): every platform moved → stale. Then the new image's config, once (its linux/amd64 child).
    const containerd = await planFor(containerdPods);
    expect(containerd.verdicts).toEqual([
      ["moves-containerd-1", "delete", "stale"],
      ["moves-containerd-2", "delete", "stale"],
    ]);
    expect(containerd.latest).toEqual([v2.index, v2.index]);
    expect(containerd.counts).toEqual({ HEAD: 1, GET: 6 });
    expect(containerd.requests.filter((r) => !r.includes("/blobs/"))).toEqual([
      "GET /v2/",
      "GET /v2/moves/manifests/<v1 amd64>",
      "GET /v2/moves/manifests/<v1 arm64>",
      "GET /v2/moves/manifests/<v1 index>",
      "GET /v2/moves/manifests/<v2 amd64>",
      "GET /v2/moves/manifests/<v2 arm64>",
      "GET /v2/moves/manifests/<v2 index>",
      "HEAD /v2/moves/manifests/latest",
    ]);
    expect(containerd.requests.filter((r) => r.includes("/blobs/"))).toHaveLength(1);

    // CRI-O: the tag's index no longer lists the running platform manifests; each is read with its config
    // (its platform: is there still an image for it?), then the tag's child for that platform (the same
    // config would be the same image) → stale. Then the new image's config: the new amd64 child's.
    const crio = await planFor(crioPods);
    expect(crio.verdicts).toEqual([
      ["moves-crio-amd", "delete", "stale"],
      ["moves-crio-arm", "delete", "stale"],
    ]);
    expect(crio.counts).toEqual({ HEAD: 1, GET: 5 });
    const blobs = crio.requests.filter((r) => r.includes("/blobs/"));
    expect(blobs).toHaveLength(3);
    expect(blobs.every((r) => /^GET \/v2\/moves\/blobs\/sha256:[a-f0-9]{64}$/.test(r))).toBe(true);
    expect(crio.requests.filter((r) => !r.includes("/blobs/"))).toEqual([
      "GET /v2/",
      "GET /v2/moves/manifests/<v1 amd64>",
      "GET /v2/moves/manifests/<v1 arm64>",
      "GET /v2/moves/manifests/<v2 amd64>",
      "GET /v2/moves/manifests/<v2 arm64>",
      "GET /v2/moves/manifests/<v2 index>",
      "HEAD /v2/moves/manifests/latest",
    ]);

    // Both at once: still one HEAD, and each manifest read once for everyone.
    const both = await planFor([...containerdPods, ...crioPods]);
    expect(both.verdicts.map(([, , status]) => status)).toEqual(["stale", "stale", "stale", "stale"]);
    expect(both.counts).toEqual({ HEAD: 1, GET: 6 });
    expect(both.requests.filter((r) => r.includes("/manifests/"))).toEqual([
      "GET /v2/moves/manifests/<v1 amd64>",
      "GET /v2/moves/manifests/<v1 arm64>",
      "GET /v2/moves/manifests/<v1 index>",
      "GET /v2/moves/manifests/<v2 amd64>",
      "GET /v2/moves/manifests/<v2 arm64>",
      "GET /v2/moves/manifests/<v2 index>",
      "HEAD /v2/moves/manifests/latest",
    ]);
    expect(both.requests.filter((r) => r.includes("/blobs/"))).toHaveLength(3);
  });
});
