/**
 * The credential chain both resolvers share: the pods' pull secrets first (kubelet order), then the user's
 * docker config — one store a registry: `credHelpers[host]`, else `credsStore`, else `auths` — with a real
 * helper executable on PATH (test/bin/docker-credential-test, which logs its calls). Real registries:
 * htpasswd (Basic) and `auth: token` (Bearer, identity tokens through the OAuth2 refresh grant). The pull
 * secrets come from the pod, or from its ServiceAccount when it names none, in either secret format
 * (dockerconfigjson, legacy dockercfg), for both resolvers.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeCluster, pullSecret } from "../../support/fake-kubectl.js";
import { pushImage, removeLocal } from "../../support/images.js";
import { makeReplicaSet } from "../../support/pods.js";
import { type Registry, startRegistry } from "../../support/registry/distribution.js";
import {
  deploymentPod,
  expectNoSecrets,
  loginConfig,
  makeHome,
  planOf,
  removeTempDirs,
  rows,
  runPlan,
  startTokenRegistry,
  type TokenRegistry,
} from "../../support/registry/harness.js";

const owners = [makeReplicaSet("web-7d9c8b", "web")];
const basicUser = { user: "ci", password: "h3lper-Pa55word" };
const tokenUser = { user: "robot", password: "r0bot-Pa55word" };
const refreshToken = "refresh-7f1c2e9a-identity-token";

let basic: Registry;
let bearer: TokenRegistry;
/** image name → digest, pushed once */
const pushed: Record<string, string> = {};

beforeAll(async () => {
  basic = await startRegistry({ htpasswd: basicUser });
  bearer = await startTokenRegistry({
    users: { [tokenUser.user]: tokenUser.password },
    refreshTokens: { [refreshToken]: tokenUser.user },
  });
  const basicLogin = loginConfig(basic.host, basicUser.user, basicUser.password);
  const bearerLogin = loginConfig(bearer.registry.host, tokenUser.user, tokenUser.password);
  for (const name of ["a:1", "b:1", "c:1"]) {
    pushed[`${basic.host}/${name}`] = await pushImage(`${basic.host}/${name}`, `basic ${name}`, {
      configDir: basicLogin,
    });
  }
  for (const name of ["team/x:1", "team/y:1"]) {
    const image = `${bearer.registry.host}/${name}`;
    pushed[image] = await pushImage(image, `bearer ${name}`, { configDir: bearerLogin });
  }
});
afterAll(async () => {
  removeTempDirs();
  await basic?.stop();
  await bearer?.stop();
});

/** A credential helper store and call log in a fresh home whose docker config is `config`. */
function helperHome(config: object, store: Record<string, { Username: string; Secret: string }>) {
  const home = makeHome(config);
  const storePath = join(home.dir, "store.json");
  const logPath = join(home.dir, "helper.log");
  writeFileSync(storePath, JSON.stringify(store));
  writeFileSync(logPath, "");
  const calls = () =>
    readFileSync(logPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { argv: string[]; stdin: string });
  return { home, env: { CRED_TEST_STORE: storePath, CRED_TEST_LOG: logPath }, calls };
}

const podsFor = (images: string[], extra = {}) =>
  images.map((image, i) => deploymentPod(`pod-${i}`, image, pushed[image]!, extra));

describe("local credentials: docker config and credential helpers", () => {
  it("credHelpers: the helper runs exactly once per registry, server address on stdin; secrets stay hidden", async () => {
    const basicImages = Object.keys(pushed).filter((i) => i.startsWith(basic.host));
    const bearerImages = Object.keys(pushed).filter((i) => i.startsWith(bearer.registry.host));
    const { home, env, calls } = helperHome(
      { credHelpers: { [basic.host]: "test", [bearer.registry.host]: "test" } },
      {
        [basic.host]: { Username: basicUser.user, Secret: basicUser.password },
        [bearer.registry.host]: { Username: tokenUser.user, Secret: tokenUser.password },
      },
    );
    // Two pods per image, so each registry has several references and pods.
    const images = [...basicImages, ...bearerImages, ...basicImages, ...bearerImages];
    const cluster = new FakeCluster({ pods: podsFor(images), objects: owners });
    const run = await runPlan(
      cluster,
      ["plan", "--resolver", "registry", "-o", "json", "-v", "--concurrency", "8"],
      {
        home,
        env,
      },
    );
    expect(rows(run).map(([, , status]) => status)).toEqual(images.map(() => "current"));
    expect(calls().sort((a, b) => a.stdin.localeCompare(b.stdin))).toEqual(
      [basic.host, bearer.registry.host].sort().map((host) => ({ argv: ["get"], stdin: host })),
    );
    expect(run.stderr).toContain("exec: docker-credential-test get");
    expectNoSecrets(
      {
        stdout: run.stdout,
        stderr: run.stderr,
        kubectlArgv: JSON.stringify(cluster.calls()),
        helperArgv: JSON.stringify(calls().map((c) => c.argv)),
        leftovers: run.leftoverText,
      },
      [basicUser.password, tokenUser.password],
    );
    expect(run.leftovers).toEqual([]);
  });

  it("credsStore with an identity token (<token>): OAuth2 refresh_token grant at the token server", async () => {
    const image = `${bearer.registry.host}/team/x:1`;
    const { home, env, calls } = helperHome(
      { credsStore: "test" },
      { [bearer.registry.host]: { Username: "<token>", Secret: refreshToken } },
    );
    const cluster = new FakeCluster({ pods: podsFor([image]), objects: owners });
    bearer.tokens.calls.length = 0;
    const run = await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json", "-v"], { home, env });
    expect(rows(run)).toEqual([["pod-0", "none", "current", ""]]);
    expect(calls()).toHaveLength(1);
    expect(bearer.tokens.calls.map((c) => [c.method, c.grant, c.user])).toEqual([
      ["POST", "refresh_token", "robot"],
    ]);
    expect(new URLSearchParams(bearer.tokens.calls[0]!.body).get("grant_type")).toBe("refresh_token");
    expectNoSecrets({ stdout: run.stdout, stderr: run.stderr, leftovers: run.leftoverText }, [refreshToken]);
  });

  it("pull secrets come first; a wrong one falls through to the helper; --no-local-credentials stops there", async () => {
    const image = `${bearer.registry.host}/team/y:1`;
    const { home, env, calls } = helperHome(
      { credHelpers: { [bearer.registry.host]: "test" } },
      { [bearer.registry.host]: { Username: tokenUser.user, Secret: tokenUser.password } },
    );
    const secrets = [
      pullSecret("old", "default", {
        [bearer.registry.host]: { username: "robot", password: "expired-pw-42" },
      }),
    ];
    const cluster = new FakeCluster({
      pods: podsFor([image], { imagePullSecrets: ["old"] }),
      objects: owners,
      secrets,
    });
    bearer.tokens.calls.length = 0;
    const run = await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json"], { home, env });
    expect(rows(run)).toEqual([["pod-0", "none", "current", ""]]);
    // The kubelet's order: the pod's secret (rejected by the token server), then the user's helper.
    expect(bearer.tokens.calls.map((c) => [c.grant, c.status])).toEqual([
      ["rejected", 401],
      ["basic", 200],
    ]);

    const off = await runPlan(
      cluster,
      ["plan", "--resolver", "registry", "-o", "json", "--no-local-credentials"],
      {
        home,
        env,
      },
    );
    expect(rows(off)).toEqual([
      [
        "pod-0",
        "none",
        "unknown",
        `access denied: token server 127.0.0.1:${new URL(bearer.tokens.realm).port} answered 401: incorrect username or password (with secret default/old)`,
      ],
    ]);
    expect(calls()).toHaveLength(1);
  });

  it("a helper that is missing or has nothing: a warning, the image unknown, never a crash", async () => {
    const image = `${basic.host}/a:1`;
    const missing = helperHome({ credHelpers: { [basic.host]: "absent" } }, {});
    const cluster = new FakeCluster({ pods: podsFor([image]), objects: owners });
    const run = await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json"], missing);
    expect(rows(run)[0]!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(run.stderr).toContain(
      "Warning: docker-credential-absent (docker config credHelpers) is not on PATH; its credentials are not used",
    );
    const empty = helperHome({ credHelpers: { [basic.host]: "test" } }, {});
    const none = await runPlan(cluster, ["plan", "--resolver", "registry", "-o", "json"], empty);
    expect(rows(none)[0]!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(none.stderr).toBe("1 container could not be checked; the plan says why\n");
    expect(empty.calls()).toEqual([{ argv: ["get"], stdin: basic.host }]);
  });
});

describe("docker resolver through the same chain", () => {
  /** A docker shim that logs argv and the content of any --config it is given. */
  function dockerShim(dir: string) {
    const log = join(dir, "docker.log");
    const shim = join(dir, "docker");
    writeFileSync(
      shim,
      `#!/bin/sh\necho "ARGV $*" >> ${log}\nif [ "$1" = "--config" ]; then cat "$2/config.json" >> ${log}; echo >> ${log}; fi\nexec docker "$@"\n`,
      { mode: 0o755 },
    );
    return { shim, log: () => readFileSync(log, "utf8") };
  }

  it("a pull secret the registry turned down is tried after the others for its next images, not first again", async () => {
    const images = [`${basic.host}/a:1`, `${basic.host}/c:1`];
    const secrets = [
      pullSecret("old", "default", { [basic.host]: { username: "ci", password: "rotated-away-9" } }),
      pullSecret("new", "default", {
        [basic.host]: { username: basicUser.user, password: basicUser.password },
      }),
    ];
    const cluster = new FakeCluster({
      pods: podsFor(images, { imagePullSecrets: ["old", "new"] }),
      objects: owners,
      secrets,
    });
    const docker = dockerShim(cluster.dir);
    for (const image of images) await removeLocal(image);
    // One image at a time: the second is pulled once the first has learnt which secret was turned down.
    const run = await runPlan(cluster, ["plan", "-o", "json", "--docker", docker.shim, "--concurrency", "1"]);
    expect(rows(run).map((row) => row.slice(0, 3))).toEqual([
      ["pod-0", "none", "current"],
      ["pod-1", "none", "current"],
    ]);
    const old = Buffer.from("ci:rotated-away-9").toString("base64");
    const lines = docker.log().split("\n");
    const pulls = lines.flatMap((line, i) =>
      line.startsWith("ARGV") && line.includes(" pull ")
        ? [`${line.split(" ").at(-1)} ${lines[i + 1]!.includes(old) ? "old" : "new"}`]
        : [],
    );
    // Whichever image goes first: its pull with the old secret is turned down, then the new one works.
    const [first, second] = pulls[0]!.startsWith(images[0]!) ? images : [...images].reverse();
    expect(pulls).toEqual([`${first} old`, `${first} new`, `${second} new`]);
  });

  it("a wrong pull secret, then the user's config (helper run by docker, never copied); off with --no-local-credentials", async () => {
    const image = `${basic.host}/b:1`;
    const { home, env } = helperHome(
      { credHelpers: { [basic.host]: "test" } },
      { [basic.host]: { Username: basicUser.user, Secret: basicUser.password } },
    );
    const secrets = [
      pullSecret("old", "default", { [basic.host]: { username: "ci", password: "expired-pw-42" } }),
    ];
    const cluster = new FakeCluster({
      pods: podsFor([image], { imagePullSecrets: ["old"] }),
      objects: owners,
      secrets,
    });
    const docker = dockerShim(cluster.dir);

    await removeLocal(image);
    const run = await runPlan(cluster, ["plan", "-o", "json", "--docker", docker.shim], { home, env });
    expect(rows(run)).toEqual([["pod-0", "none", "current", ""]]);
    const pulls = docker
      .log()
      .split("\n")
      .filter((l) => l.startsWith("ARGV") && l.includes(" pull "));
    expect(pulls).toEqual([expect.stringMatching(/^ARGV --config \/\S+ pull /), `ARGV pull ${image}`]);
    // The pod's secret went into a private config; the helper's secret never did.
    expect(docker.log()).not.toContain(
      Buffer.from(`${basicUser.user}:${basicUser.password}`).toString("base64"),
    );
    expect(docker.log()).not.toContain(basicUser.password);

    await removeLocal(image);
    const off = await runPlan(
      cluster,
      ["plan", "-o", "json", "--docker", docker.shim, "--no-local-credentials"],
      {
        home,
        env,
      },
    );
    const [row] = rows(off);
    expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(row![3]).toMatch(/^pull failed: .*\(with secret default\/old\)$/);

    const bare = new FakeCluster({ pods: podsFor([image]), objects: owners });
    await removeLocal(image);
    const anonymous = await runPlan(
      bare,
      ["plan", "-o", "json", "--docker", docker.shim, "--no-local-credentials"],
      {
        home,
        env,
      },
    );
    expect(rows(anonymous)[0]!.slice(1, 3)).toEqual(["none", "unknown"]);
    // A config with no credentials, yet not one docker would take as a cue to use the platform's store.
    expect(docker.log()).toMatch(
      /ARGV --config \/\S+ pull \S+\n\{"auths":\{"kubectl-autoupdate\.invalid":\{\}\}\}/,
    );
    for (const r of [run, off, anonymous]) {
      expect(r.leftovers).toEqual([]);
      expectNoSecrets({ stdout: r.stdout, stderr: r.stderr }, [basicUser.password, "expired-pw-42"]);
    }
  });
});

describe("pull secrets the kubelet also uses: a ServiceAccount's, and the legacy .dockercfg format", () => {
  /** image → [v1, v2]: the tag moved from v1 to v2, so pods on v1 are stale and pods on v2 current. */
  const moved: Record<string, [string, string]> = {};
  const saImage = () => `${basic.host}/sa/app:1`;
  const legacyImage = () => `${basic.host}/legacy/app:1`;

  beforeAll(async () => {
    const login = loginConfig(basic.host, basicUser.user, basicUser.password);
    for (const image of [saImage(), legacyImage()]) {
      const v1 = await pushImage(image, `${image} v1`, { configDir: login });
      const v2 = await pushImage(image, `${image} v2`, { configDir: login });
      moved[image] = [v1, v2];
    }
  });

  /**
   * A kubernetes.io/dockercfg secret as older clusters and `docker login` < 1.7 wrote it: no "auths" wrapper.
   */
  function dockercfgSecret(name: string, location: string, user: string, password: string) {
    const cfg = {
      [location]: { auth: Buffer.from(`${user}:${password}`).toString("base64"), email: "ci@example.com" },
    };
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: "default", uid: `uid-${name}` },
      type: "kubernetes.io/dockercfg",
      data: { ".dockercfg": Buffer.from(JSON.stringify(cfg)).toString("base64") },
    };
  }

  const serviceAccount = (name: string, secrets: string[]) => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace: "default", uid: `uid-sa-${name}` },
    ...(secrets.length > 0 ? { imagePullSecrets: secrets.map((s) => ({ name: s })) } : {}),
  });

  /** One pod on v1 (stale) and one on v2 (current) of `image`, with `extra` (secrets or a ServiceAccount). */
  const movedPods = (image: string, extra: object) => [
    deploymentPod("web-7d9c8b-old", image, moved[image]![0], extra),
    deploymentPod("web-7d9c8b-new", image, moved[image]![1], extra),
  ];

  const planArgs = (resolver: string) => [
    "plan",
    "--resolver",
    resolver,
    "-o",
    "json",
    "--no-local-credentials",
  ];

  it.each(["registry", "docker"])(
    "--resolver %s: a pod naming no pull secret uses its ServiceAccount's (stale and current, not unknown)",
    async (resolver) => {
      const image = saImage();
      const secret = pullSecret("sa-regcred", "default", {
        [basic.host]: { username: basicUser.user, password: basicUser.password },
      });
      const cluster = new FakeCluster({
        pods: movedPods(image, { serviceAccountName: "builder" }),
        objects: owners,
        secrets: [secret],
        serviceAccounts: [serviceAccount("builder", ["sa-regcred"]), serviceAccount("default", [])],
      });
      await removeLocal(image);
      const run = await runPlan(cluster, planArgs(resolver));
      expect(rows(run)).toEqual([
        ["web-7d9c8b-old", "delete", "stale", ""],
        ["web-7d9c8b-new", "none", "current", ""],
      ]);
      expect(planOf(run).pods[0]!.containers[0]).toMatchObject({
        runningDigest: moved[image]![0],
        latestDigest: moved[image]![1],
      });
      const argvs = cluster.calls().map((c) => c.argv);
      expect(argvs.some((a) => a.join(" ").includes("/serviceaccounts?"))).toBe(true);
      expect(argvs.find((a) => a.includes("secrets"))).toContain("sa-regcred");

      // The same pods whose ServiceAccount names no secret: nothing proves anything.
      const bare = new FakeCluster({
        pods: movedPods(image, { serviceAccountName: "builder" }),
        objects: owners,
        secrets: [secret],
        serviceAccounts: [serviceAccount("builder", [])],
      });
      const denied = await runPlan(bare, planArgs(resolver));
      expect(rows(denied).map(([name, action, status]) => [name, action, status])).toEqual([
        ["web-7d9c8b-old", "none", "unknown"],
        ["web-7d9c8b-new", "none", "unknown"],
      ]);
      expect(bare.calls().some((c) => c.argv.includes("secrets"))).toBe(false);
      for (const r of [run, denied]) {
        expect(r.leftovers).toEqual([]);
        expectNoSecrets({ stdout: r.stdout, stderr: r.stderr }, [basicUser.password]);
      }
    },
  );

  it("--resolver docker under a docker context: the pull with a pull secret goes to the context's engine", async () => {
    const image = saImage();
    // The user's engine is named only by their docker context (colima, rootless, Docker Desktop), not
    // DOCKER_HOST; nothing listens on the default socket.
    const home = makeHome({ auths: {} });
    const docker = (...args: string[]) =>
      execFileSync("docker", args, {
        env: { ...process.env, DOCKER_CONFIG: home.dockerConfig, DOCKER_HOST: "" },
      });
    docker("context", "create", "kau-engine", "--docker", `host=${inject("dockerHost")}`);
    docker("context", "use", "kau-engine");
    const cluster = new FakeCluster({
      pods: movedPods(image, { imagePullSecrets: ["regcred"] }),
      objects: owners,
      secrets: [
        pullSecret("regcred", "default", {
          [basic.host]: { username: basicUser.user, password: basicUser.password },
        }),
      ],
    });
    await removeLocal(image);
    const run = await runPlan(cluster, planArgs("docker"), { home, env: { DOCKER_HOST: "" } });
    expect(rows(run), run.stderr).toEqual([
      ["web-7d9c8b-old", "delete", "stale", ""],
      ["web-7d9c8b-new", "none", "current", ""],
    ]);
    expect(run.leftovers).toEqual([]);
    // The context store was linked into the private config, never changed: it still names the engine.
    expect(
      docker("context", "inspect", "kau-engine", "--format", "{{.Endpoints.docker.Host}}").toString().trim(),
    ).toBe(inject("dockerHost"));
  });

  it.each(["registry", "docker"])(
    "--resolver %s: a kubernetes.io/dockercfg secret (legacy format) authenticates the pull",
    async (resolver) => {
      const image = legacyImage();
      // Legacy files keyed the registry by URL (scheme and /v1/ included) as often as by host.
      const cluster = (location: string, password: string) =>
        new FakeCluster({
          pods: movedPods(image, { imagePullSecrets: ["legacy"] }),
          objects: owners,
          secrets: [dockercfgSecret("legacy", location, basicUser.user, password)],
        });
      for (const location of [basic.host, `https://${basic.host}/v1/`]) {
        const good = cluster(location, basicUser.password);
        await removeLocal(image);
        const run = await runPlan(good, planArgs(resolver));
        expect(rows(run), location).toEqual([
          ["web-7d9c8b-old", "delete", "stale", ""],
          ["web-7d9c8b-new", "none", "current", ""],
        ]);
        expect(run.leftovers).toEqual([]);
        expectNoSecrets({ stdout: run.stdout, stderr: run.stderr }, [basicUser.password]);
      }

      // A wrong password in the same secret: the secret is what was used, and it is named.
      const wrong = await runPlan(cluster(basic.host, "not-the-password-7"), planArgs(resolver));
      const [old] = rows(wrong);
      expect(old!.slice(1, 3)).toEqual(["none", "unknown"]);
      expect(old![3]).toContain("(with secret default/legacy)");
    },
  );
});
