/**
 * The docker resolver's RepoDigests filter (src/adapters/docker-resolver.ts `digestsOfRepository`). After
 * `docker pull`, `docker image inspect` lists every repository digest the local image is known under, in
 * docker's familiar names (`nginx@sha256:…`, `localhost:5000/app@sha256:…`), and for every repository that
 * image was ever pulled or pushed as. A digest counts as "the same image" only for the pod's own
 * repository: one from another repository (a mirror, a fork, a retag) must never make a container
 * `current` — that would leave a stale pod running for good. Then the same through DockerResolver (docker
 * faked at the exec boundary) and the verdict.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { userDockerEngine } from "../../../src/adapters/credentials/private-docker-config.js";
import { Docker } from "../../../src/adapters/docker.js";
import { DockerResolver, digestsOfRepository } from "../../../src/adapters/docker-resolver.js";
import type { Exec } from "../../../src/adapters/exec.js";
import type { ExecResult } from "../../../src/adapters/exec-result.js";
import { decidePlan } from "../../../src/core/decide.js";
import { parseImageRef, repositoryOf } from "../../../src/core/image-ref.js";
import { imagesInUse, imagesToResolve } from "../../../src/core/images-in-use.js";
import type { Credential } from "../../../src/core/keyring.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { TagResolution } from "../../../src/core/resolution.js";
import { resolveImages } from "../../../src/pipeline/resolve.js";
import { Limiter } from "../../../src/util/limiter.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

const A = digestOf("repo digest A");
const B = digestOf("repo digest B");
const C = digestOf("repo digest C");

/**
 * A resolver over `docker` with the defaults: a minute per pull, the user's config last, no engine chosen.
 */
/** The user's docker config holds a credential for every registry: it is tried after the pull secrets. */
const userCredentials = async () => [
  { username: "me", password: "MY-OWN-PASSWORD", source: "docker config" },
];

const resolverOf = (docker: Docker) =>
  new DockerResolver(docker, {
    isInsecure: () => false,
    pullTimeoutMs: 60_000,
    userConfig: true,
    engine: { configDir: "/nonexistent/.docker" },
    userCredentials,
  });

const nginx = "docker.io/library/nginx";
const ociManifest = "application/vnd.oci.image.manifest.v1+json";
const local = "localhost:5000/app";

describe("digestsOfRepository", () => {
  it.each<[string, string, string[]]>([
    // Familiar names docker prints for Docker Hub official images.
    [nginx, `nginx@${A}`, [A]],
    [nginx, `library/nginx@${A}`, [A]],
    [nginx, `docker.io/library/nginx@${A}`, [A]],
    [nginx, `docker.io/nginx@${A}`, [A]],
    [nginx, `index.docker.io/library/nginx@${A}`, [A]],
    // Docker Hub user repositories.
    ["docker.io/team/app", `team/app@${A}`, [A]],
    ["docker.io/team/app", `docker.io/team/app@${A}`, [A]],
    // Registries with a port, and loopback.
    [local, `localhost:5000/app@${A}`, [A]],
    ["127.0.0.1:5000/team/app", `127.0.0.1:5000/team/app@${A}`, [A]],
    ["registry.example.com/team/app", `registry.example.com/team/app@${A}`, [A]],
  ])("%s: %s counts", (repository, entry, expected) => {
    expect(digestsOfRepository([entry], repository)).toEqual(expected);
  });

  it.each<[string, string]>([
    // Same name on another registry: a mirror or a fork.
    [nginx, `ghcr.io/library/nginx@${A}`],
    [nginx, `mirror.gcr.io/library/nginx@${A}`],
    [nginx, `localhost:5000/nginx@${A}`],
    [nginx, `localhost:5000/library/nginx@${A}`],
    // Names that only start or end the same.
    [nginx, `nginx-unprivileged@${A}`],
    [nginx, `nginxinc/nginx@${A}`],
    [nginx, `bitnami/nginx@${A}`],
    ["docker.io/team/app", `app@${A}`],
    ["docker.io/team/app", `team/app-old@${A}`],
    ["docker.io/team/app", `team/app/sub@${A}`],
    // Same path, another host or port.
    [local, `localhost:5001/app@${A}`],
    [local, `localhost/app@${A}`],
    [local, `127.0.0.1:5000/app@${A}`],
    [local, `localhost:5000/app2@${A}`],
    [local, `localhost:5000/team/app@${A}`],
    ["registry.example.com/team/app", `registry.example.com:443/team/app@${A}`],
  ])("%s: %s does not count", (repository, entry) => {
    expect(digestsOfRepository([entry], repository)).toEqual([]);
  });

  it("keeps only the pod's repository out of a mixed list, in order, every one of them (not only the first)", () => {
    const entries = [
      `ghcr.io/acme/nginx@${A}`,
      `nginx@${B}`,
      `localhost:5000/nginx@${A}`,
      `docker.io/library/nginx@${C}`,
      `nginx-unprivileged@${A}`,
    ];
    expect(digestsOfRepository(entries, nginx)).toEqual([B, C]);
    expect(digestsOfRepository(entries, "ghcr.io/acme/nginx")).toEqual([A]);
    expect(digestsOfRepository(entries, local)).toEqual([]);
  });

  it("entries that name no repository are ignored, never a crash", () => {
    expect(
      digestsOfRepository(
        ["", "nginx", `@${A}`, `<none>@<none>`, `NGINX@${A}`, `bad name!@${A}`, `nginx@${B}`],
        nginx,
      ),
    ).toEqual([B]);
    expect(digestsOfRepository([], nginx)).toEqual([]);
  });

  it("takes the repository as repositoryOf writes it (the form the resolver passes)", () => {
    expect(repositoryOf(parseImageRef("nginx:1.27"))).toBe(nginx);
    expect(repositoryOf(parseImageRef("localhost:5000/app:main"))).toBe(local);
  });
});

const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
const amd64 = { architecture: "amd64", os: "linux" };

/**
 * One manifest as `docker manifest inspect -v` prints it (types.ImageManifest): its reference, a descriptor
 * with the platform (its config's, or for an index's child the index's), and the manifest itself under
 * SchemaV2Manifest (OCIManifest for an OCI manifest, docker 23 and later, which also add Raw).
 */
function verboseEntry(
  ref: string,
  manifest: { mediaType: string },
  platform: Record<string, string>,
  raw = false,
) {
  const body = JSON.stringify(manifest);
  const digest = ref.split("@")[1]!;
  const key = manifest.mediaType === dockerManifest ? "SchemaV2Manifest" : "OCIManifest";
  return {
    Ref: ref,
    Descriptor: { mediaType: manifest.mediaType, digest, size: body.length, platform },
    ...(raw ? { Raw: Buffer.from(body).toString("base64") } : {}),
    [key]: manifest,
  };
}

/**
 * A docker at the exec boundary: answers version, pull (with a Digest line) and image inspect (with the
 * pulled image's `platform` when given); `failing` makes `manifest inspect` of a digest exit 1 with that
 * stderr.
 */
function fakeDocker(
  pulled: string,
  repoDigests: string[],
  failing: Record<string, string> = {},
  platform?: Record<string, string>,
) {
  const calls: string[][] = [];
  /** Each call's subcommand and the timeout it was given. */
  const timeouts: string[] = [];
  const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: "", interrupted: false });
  const exec: Exec = async (_file, args, options) => {
    calls.push([...args]);
    timeouts.push(`${args[0] === "--config" ? args[2] : args[0]} ${options?.timeoutMs}`);
    const sub = args[0] === "--config" ? args[2] : args[0];
    if (sub === "version") return ok("27.5.1\n");
    if (sub === "pull")
      return ok(
        `latest: Pulling from app\nDigest: ${pulled}\nStatus: Image is up to date for ${args.at(-1)}\n`,
      );
    if (sub === "image") {
      const image = { RepoDigests: repoDigests, Created: "2026-11-30T11:00:00Z", Labels: null };
      return ok(`${JSON.stringify(platform ? { ...image, Platform: platform } : image)}\n`);
    }
    // Every digest is a single image manifest (not an index), each an image of its own.
    if (sub === "manifest") {
      const digest = args.at(-1)!.split("@")[1]!;
      const stderr = failing[digest];
      if (stderr !== undefined) return { exitCode: 1, stdout: "", stderr, interrupted: false };
      const manifest = { schemaVersion: 2, mediaType: dockerManifest, config: { digest: configOf(digest) } };
      if (!args.includes("-v")) return ok(`${JSON.stringify(manifest, null, "\t")}\n`);
      return ok(`${JSON.stringify(verboseEntry(args.at(-1)!, manifest, amd64), null, "\t")}\n`);
    }
    return { exitCode: 1, stdout: "", stderr: `unexpected docker ${args.join(" ")}`, interrupted: false };
  };
  return { docker: new Docker(exec, "docker"), calls, timeouts };
}

const resolverFor = (
  pulled: string,
  repoDigests: string[],
  failing: Record<string, string> = {},
  platform?: Record<string, string>,
) => {
  const { docker, calls, timeouts } = fakeDocker(pulled, repoDigests, failing, platform);
  return {
    timeouts,
    resolver: resolverOf(docker),
    calls,
  };
};

/** The plan of one pod of ReplicaSet web-7d9c8b, its images resolved by `resolver`. */
async function planOf(pod: ReturnType<typeof makePod>, resolver: DockerResolver) {
  const resolutions = await resolveImages(imagesToResolve(imagesInUse([pod])), resolver, {
    limiter: new Limiter(1),
    credentialsFor: async () => [],
  });
  return decidePlan({
    resolver: "docker",
    pods: [pod],
    owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
    resolutions,
  });
}

describe("DockerResolver: docker manifest processes at once are bounded", () => {
  it("ten reads asked for together (an older index of five platforms, both sides) run two at a time", async () => {
    let running = 0;
    let most = 0;
    const exec: Exec = async (_file, args): Promise<ExecResult> => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      const digest = args.at(-1)!.split("@")[1]!;
      const manifest = { schemaVersion: 2, mediaType: ociManifest, config: { digest: configOf(digest) } };
      return { exitCode: 0, stdout: JSON.stringify(manifest), stderr: "", interrupted: false };
    };
    const resolver = new DockerResolver(new Docker(exec, "docker"), {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: true,
      engine: { configDir: "/nonexistent/.docker" },
      manifestReads: 2,
    });
    const digests = Array.from({ length: 10 }, (_, i) => digestOf(`child ${i}`));
    const ref = parseImageRef("reg.example.com/app:1");
    const reads = await Promise.all(digests.map((d) => resolver.inspectManifest(ref, d, [])));
    expect(reads.every((r) => r.ok)).toBe(true);
    expect(most).toBe(2);
  });
});

describe("DockerResolver: a manifest read once per config", () => {
  it("tags of one repository asking for one digest it cannot read: one docker manifest process", async () => {
    const running = digestOf("the build every tag ran");
    const { resolver, calls } = resolverFor(A, [], { [running]: "no such manifest: reg.example.com/app\n" });
    const manifestCalls = () => calls.filter((args) => args.includes("manifest"));
    const reads = await Promise.all(
      ["a", "b", "c"].map((tag) =>
        resolver.inspectManifest(parseImageRef(`reg.example.com/app:${tag}`), running, []),
      ),
    );
    expect(reads.map((r) => r.ok)).toEqual([false, false, false]);
    expect(manifestCalls()).toHaveLength(1);
    // With other credentials it is asked again: a registry may hide from one what it shows another.
    const secret = { username: "puller", password: "PULL-SECRET-PW", source: "secret web/regcred" };
    await resolver.inspectManifest(parseImageRef("reg.example.com/app:d"), running, [secret]);
    expect(manifestCalls()).toHaveLength(2);
    resolver.close();
  });
});

describe("DockerResolver: an engine out of reach", () => {
  it("is one error naming the resolver that needs no Docker", async () => {
    const exec: Exec = async () => ({
      exitCode: 1,
      stdout: "",
      stderr:
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
      interrupted: false,
    });
    const resolver = resolverOf(new Docker(exec, "docker"));
    await expect(resolver.resolveTag(parseImageRef("reg.example.com/app:1"), [])).rejects.toThrow(
      "docker cannot reach its engine: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running? (or use --resolver registry, which needs no Docker)",
    );
  });
});

describe("DockerResolver: --pull-timeout is one image's, shared by the credentials tried in turn", () => {
  /**
   * One pull of reg.example.com/app:1 with two pull secrets and then the user's config, each pull answered
   * by `pull` (given the timeout it was handed) on fake timers; the answer and every timeout handed out.
   */
  async function pullWith(
    pullTimeoutMs: number,
    pull: (timeoutMs: number) => Promise<ExecResult>,
    secrets = 2,
    userHolds: () => Promise<Credential[]> = userCredentials,
  ): Promise<{ answer: TagResolution; given: number[] }> {
    vi.useFakeTimers();
    try {
      const given: number[] = [];
      const exec: Exec = async (_file, args, options): Promise<ExecResult> => {
        const verb = args[0] === "--config" ? args[2] : args[0];
        if (verb === "version") return { exitCode: 0, stdout: "28.5.2\n", stderr: "", interrupted: false };
        given.push(options?.timeoutMs ?? Number.POSITIVE_INFINITY);
        return pull(options?.timeoutMs ?? Number.POSITIVE_INFINITY);
      };
      const resolver = new DockerResolver(new Docker(exec, "docker"), {
        isInsecure: () => false,
        pullTimeoutMs,
        userConfig: true,
        engine: { configDir: "/nonexistent/.docker" },
        userCredentials: userHolds,
      });
      const credentials = [
        { username: "u1", password: "p1-secret", source: "secret a/one" },
        { username: "u2", password: "p2-secret", source: "secret a/two" },
      ].slice(0, secrets);
      const answering = resolver.resolveTag(parseImageRef("reg.example.com/app:1"), credentials);
      await vi.runAllTimersAsync();
      const answer = await answering;
      resolver.close();
      return { answer, given };
    } finally {
      vi.useRealTimers();
    }
  }
  const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const timedOut: ExecResult = { exitCode: -1, stdout: "", stderr: "", interrupted: true };
  const failed = (stderr: string): ExecResult => ({ exitCode: 1, stdout: "", stderr, interrupted: false });

  it.each([
    ["killed", timedOut],
    ["exiting 0 at its stop (docker at its login prompt)", { ...timedOut, exitCode: 0 }],
  ])("a pull that timed out (%s) is not tried again with the next credential", async (_, result) => {
    const { answer, given } = await pullWith(300_000, async () => result);
    expect(answer).toEqual({
      ok: false,
      reason: "pull failed: docker pull did not finish within 300s (with secret a/one)",
      unanswered: true,
    });
    expect(given).toEqual([300_000]);
  });

  it("a pull that fails slowly leaves the next credential what is left, and none after it is spent", async () => {
    // Layers downloaded, then the disk is full: a failure after 600 ms, unless the timeout comes first.
    const { answer, given } = await pullWith(1000, async (timeoutMs) => {
      await elapse(Math.min(600, timeoutMs));
      return timeoutMs < 600 ? timedOut : failed("failed to register layer: no space left on device\n");
    });
    expect(answer).toEqual({
      ok: false,
      reason:
        "pull failed: failed to register layer: no space left on device (with secret a/one); docker pull did not finish within 0.4s, what was left of --pull-timeout (with secret a/two)",
    });
    // The user's own config, third in line, was not tried: the image's time was spent.
    expect(given).toEqual([1000, 400]);
  });

  it("the last pull secret told the tag is not there as the time runs out: missing, a config holding nothing unnamed", async () => {
    const notThere = "manifest for reg.example.com/app:1 not found: manifest unknown: manifest unknown";
    const { answer } = await pullWith(
      1000,
      async (timeoutMs) => {
        await elapse(timeoutMs);
        return failed(`Error response from daemon: ${notThere}\n`);
      },
      1,
      async () => [],
    );
    expect(answer).toEqual({
      ok: false,
      reason: `pull failed: ${notThere} (with secret a/one)`,
      missing: true,
    });
  });

  it("a helper slow to answer takes its time off --pull-timeout: the user's config gets what is left", async () => {
    let asked = 0;
    const { answer, given } = await pullWith(
      1000,
      async (timeoutMs) => {
        await elapse(Math.min(timeoutMs, 400));
        return failed("unauthorized: authentication required\n");
      },
      1,
      async () => {
        asked++;
        await elapse(2000);
        return [{ username: "me", password: "MY-OWN-PASSWORD", source: "docker config" }];
      },
    );
    expect(asked).toBe(1);
    expect(given).toEqual([1000]);
    expect(answer).toMatchObject({
      reason:
        "pull failed: unauthorized: authentication required (with secret a/one); --pull-timeout was spent before your docker config could be tried",
    });
  });

  it("a pull that ends as the time runs out: the credentials left are named as not tried", async () => {
    // A token server answering its 401 late: docker exits 1, not killed, as the time runs out.
    const { answer } = await pullWith(1000, async (timeoutMs) => {
      await elapse(timeoutMs);
      return failed("unauthorized: authentication required\n");
    });
    expect(answer).toEqual({
      ok: false,
      reason:
        // The user's config is not named: its helper is not asked once the time is spent.
        "pull failed: unauthorized: authentication required (with secret a/one); --pull-timeout was spent before secret a/two could be tried",
    });
  });
});

describe("DockerResolver: every call to a registry or the engine is bounded by --pull-timeout", () => {
  it("pull, image inspect and manifest inspect (docker's registry client waits for an answer for ever)", async () => {
    const { resolver, timeouts } = resolverFor(A, [`nginx@${A}`]);
    const ref = parseImageRef("nginx:latest");
    await resolver.resolveTag(ref, []);
    await resolver.inspectManifest(ref, B, [], { platform: true });
    expect(timeouts.filter((t) => !t.startsWith("version"))).toEqual([
      "pull 60000",
      "image 60000",
      "manifest 60000",
    ]);
  });
});

describe("DockerResolver: RepoDigests of other repositories never count", () => {
  it("sameImageDigests holds only the pod's repository's other digests", async () => {
    const { resolver, calls } = resolverFor(A, [
      `nginx@${A}`,
      `nginx@${B}`,
      `ghcr.io/acme/nginx@${C}`,
      `localhost:5000/nginx@${C}`,
    ]);
    const result = await resolver.resolveTag(parseImageRef("nginx:latest"), []);
    expect(result).toEqual({ ok: true, tag: { digest: A, sameImageDigests: [B], isIndex: null } });
    expect(calls.map((c) => c.slice(0, 2))).toEqual([
      ["version", "--format"],
      ["pull", "docker.io/library/nginx:latest"],
      ["image", "inspect"],
    ]);
    // The image pulled, by its digest: on a shared engine the tag may name another image by now.
    expect(calls.at(-1)!.at(-1)).toBe(`docker.io/library/nginx@${A}`);
  });

  it("a familiar-name RepoDigest on a registry with a port counts", async () => {
    const { resolver } = resolverFor(A, [`localhost:5000/app@${A}`, `localhost:5000/app@${B}`]);
    const result = await resolver.resolveTag(parseImageRef("localhost:5000/app:main"), []);
    expect(result).toEqual({ ok: true, tag: { digest: A, sameImageDigests: [B], isIndex: null } });
  });

  it("the verdict: a pod running another repository's digest of the same image is stale, not current", async () => {
    // The node runs B, which docker knows only as a mirror's digest; the tag points to A now.
    const pod = makePod({
      name: "web-7d9c8b-mirror",
      runtime: "cri-dockerd",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [{ name: "app", image: "nginx:latest", runningDigest: B }],
    });
    const verdicts = async (repoDigests: string[]) => {
      const { resolver, calls } = resolverFor(A, repoDigests);
      const plan = await planOf(pod, resolver);
      return {
        rows: plan.pods.map((p) => [p.name, p.action, p.containers[0]!.status, p.containers[0]!.reason]),
        subcommands: calls.map((c) => c[0]),
      };
    };

    const mirrored = await verdicts([`nginx@${A}`, `mirror.example.com/library/nginx@${B}`]);
    expect(mirrored.rows).toEqual([["web-7d9c8b-mirror", "delete", "stale", ""]]);
    // B unexplained: the tag's and B's manifests were read (one is no index; their configs differ), then
    // the tag's platform, to be compared with B's (read with B).
    expect(mirrored.subcommands).toEqual(["version", "pull", "image", "manifest", "manifest", "manifest"]);

    // Had docker known B under nginx itself, the same pod would be current (the image did not change). B is
    // read once: docker's record holds for an image manifest, and for an index only on docker's platform.
    const own = await verdicts([`nginx@${A}`, `nginx@${B}`]);
    expect(own.rows).toEqual([["web-7d9c8b-mirror", "none", "current", ""]]);
    expect(own.subcommands).toEqual(["version", "pull", "image", "manifest"]);
  });
});

describe("DockerResolver: the tag's platform is the pulled image's", () => {
  // The node runs B; the tag points to A now, another image (every manifest here is amd64's).
  const pod = makePod({
    name: "web-7d9c8b-x2x9q",
    runtime: "cri-dockerd",
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    containers: [{ name: "app", image: "nginx:latest", runningDigest: B }],
  });
  const planWith = async (platform: Record<string, string>) => {
    const { resolver, calls } = resolverFor(A, [`nginx@${A}`], {}, platform);
    const plan = await planOf(pod, resolver);
    const container = plan.pods[0]!.containers[0]!;
    return {
      verdict: [container.status, container.reason],
      manifestReads: calls.filter((c) => c.includes("manifest")).map((c) => c.slice(c.indexOf("manifest"))),
    };
  };

  it("the tag's single manifest is read once: its platform comes from docker image inspect", async () => {
    const { verdict, manifestReads } = await planWith(amd64);
    expect(verdict).toEqual(["stale", ""]);
    expect(manifestReads).toEqual([
      ["manifest", "inspect", `${nginx}@${A}`],
      ["manifest", "inspect", "-v", `${nginx}@${B}`],
    ]);
  });

  it("and is what the verdict compares: an arm64 image pulled for a node running amd64's is no image for it", async () => {
    const { verdict, manifestReads } = await planWith({ architecture: "arm64", os: "linux" });
    expect(verdict).toEqual(["unknown", "the tag no longer has an image for linux/amd64"]);
    expect(manifestReads).toHaveLength(2);
  });
});

describe("DockerResolver: reading manifests by digest uses the pull's credential", () => {
  const secret = { username: "puller", password: "pw", source: "secret web/pull" };
  const configOfCall = (call: string[]) => (call[0] === "--config" ? call[1] : "the user's");
  const manifestCalls = (calls: string[][]) => calls.filter((c) => c.includes("manifest"));

  it("a digest of the pulled repository is read with the config its pull worked with", async () => {
    const { resolver, calls } = resolverFor(A, [`localhost:5000/app@${A}`]);
    await resolver.resolveTag(parseImageRef("localhost:5000/app:main"), [secret]);
    const pull = calls.find((c) => c.includes("pull"))!;
    expect(pull[0]).toBe("--config");
    // The pipeline names the digest, not the tag, when it asks for a manifest.
    const byDigest = { ...parseImageRef("localhost:5000/app"), tag: null, digest: B };
    expect(await resolver.inspectManifest(byDigest, B, [secret])).toMatchObject({ ok: true });
    expect(manifestCalls(calls).map(configOfCall)).toEqual([pull[1]]);
  });

  it("close removes the private configs at once, so the pull secrets are not on disk during apply's restarts", async () => {
    const { resolver, calls } = resolverFor(A, [`localhost:5000/app@${A}`]);
    await resolver.resolveTag(parseImageRef("localhost:5000/app:main"), [secret]);
    const dir = calls.find((c) => c.includes("pull"))![1]!;
    expect(existsSync(join(dir, "config.json"))).toBe(true);
    resolver.close();
    expect(existsSync(dir)).toBe(false);
  });

  it("another repository's digest: its own pull secret, else the user's config, or none with --no-local-credentials", async () => {
    const other = { ...parseImageRef("localhost:5000/other"), tag: null, digest: B };
    const { resolver, calls } = resolverFor(A, []);
    await resolver.inspectManifest(other, B, [secret]);
    const withSecret = configOfCall(manifestCalls(calls)[0]!);
    expect(withSecret).not.toBe("the user's");
    await resolver.inspectManifest({ ...other, domain: "localhost:5001" }, C, []);
    expect(configOfCall(manifestCalls(calls)[1]!)).toBe("the user's");

    const strict = fakeDocker(A, []);
    const noLocal = new DockerResolver(strict.docker, {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: false,
      engine: { configDir: "/nonexistent/.docker" },
    });
    await noLocal.inspectManifest(other, B, []);
    const dir = configOfCall(manifestCalls(strict.calls)[0]!)!;
    expect(dir).not.toBe("the user's");
    // docker takes a config with no auths, credHelpers or credsStore as a cue to use the platform's
    // default store (keychain, wincred, pass): the user's logins, which --no-local-credentials refuses.
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    const hasAuth =
      Object.keys(config.auths ?? {}).length > 0 ||
      Object.keys(config.credHelpers ?? {}).length > 0 ||
      Boolean(config.credsStore);
    expect(hasAuth).toBe(true);
    expect(JSON.stringify(config)).not.toMatch(/"auth"|password|token/i);
  });
});

describe("DockerResolver: a registry that echoes the request in its error", () => {
  const puller = { username: "puller", password: "PULLSECRETPW", source: "secret shop/regcred" };
  const basicForm = Buffer.from("puller:PULLSECRETPW").toString("base64");
  // docker quotes a 401 body it cannot parse whole; a misconfigured proxy's debug page echoes the header.
  const echo = `Error response from daemon: Head "https://reg.example.com/v2/app/manifests/latest": error parsing HTTP 401 response body: invalid character 'A' looking for beginning of value: "Authorization: Basic ${basicForm} (PULLSECRETPW)"\n`;
  const resolverEchoing = () => {
    const exec: Exec = async (_file, args): Promise<ExecResult> => {
      const verb = args[0] === "--config" ? args[2] : args[0];
      if (verb === "version") return { exitCode: 0, stdout: "27.5.1\n", stderr: "", interrupted: false };
      return { exitCode: 1, stdout: "", stderr: echo, interrupted: false };
    };
    return new DockerResolver(new Docker(exec, "docker"), {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: false,
      engine: { configDir: "/nonexistent/.docker" },
    });
  };

  it("a manifest read with the config another image's pull worked with: that config's secret blanked too", async () => {
    const a = { username: "robot-a", password: "A-NAMESPACE-PW", source: "secret a/pull" };
    const b = { username: "robot-b", password: "B-NAMESPACE-PW", source: "secret b/pull" };
    const exec: Exec = async (_file, args): Promise<ExecResult> => {
      const verb = args[0] === "--config" ? args[2] : args[0];
      const answer = (stdout: string) => ({ exitCode: 0, stdout, stderr: "", interrupted: false });
      if (verb === "version") return answer("27.5.1\n");
      if (verb === "pull") return answer(`Digest: ${A}\nStatus: Downloaded newer image\n`);
      if (verb === "image") return answer(JSON.stringify({ RepoDigests: [], Created: null, Labels: null }));
      const pair = Buffer.from("robot-a:A-NAMESPACE-PW").toString("base64");
      return {
        exitCode: 1,
        stdout: "",
        stderr: `error: echo Basic ${pair} A-NAMESPACE-PW\n`,
        interrupted: false,
      };
    };
    const resolver = new DockerResolver(new Docker(exec, "docker"), {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: false,
      engine: { configDir: "/nonexistent/.docker" },
    });
    expect((await resolver.resolveTag(parseImageRef("reg.example.com/app:1"), [a])).ok).toBe(true);
    const read = await resolver.inspectManifest(parseImageRef("reg.example.com/app:2"), B, [b]);
    resolver.close();
    expect(read.ok ? "" : read.reason).toBe("error: echo Basic <redacted> <redacted>");
  });

  it("keeps the pull secret out of the reason, as the registry resolver does", async () => {
    const resolver = resolverEchoing();
    const ref = parseImageRef("reg.example.com/app:latest");
    const pulled = await resolver.resolveTag(ref, [puller]);
    const read = await resolver.inspectManifest({ ...ref, tag: null, digest: A }, A, [puller]);
    resolver.close();
    for (const answer of [pulled, read]) {
      expect(answer.ok).toBe(false);
      const reason = answer.ok ? "" : answer.reason;
      expect(reason).toContain("Authorization: Basic <redacted> (<redacted>)");
      expect(reason).not.toContain(basicForm);
      expect(reason).not.toContain("PULLSECRETPW");
    }
  });
});

/**
 * What `docker manifest inspect` prints (stderr, exit 1) when it cannot read the running manifest, as
 * docker 20.10.24 (Debian bookworm's docker.io, the -docker image's CLI) and 28.2.2 printed it against a
 * registry giving each answer. docker/cli skips to the next endpoint on UNAUTHORIZED, MANIFEST_UNKNOWN,
 * NAME_UNKNOWN and any 4xx body it cannot parse (continueOnError), and once none is left says "no such
 * manifest"; reading an index, it reads every child, and a child's failure is the index's.
 */
describe("DockerResolver: no answer of docker's proves the registry deleted a manifest", () => {
  const noSuch = `no such manifest: docker.io/library/nginx@${B}`;
  const answers: [string, string][] = [
    ["the registry deleted it (404 MANIFEST_UNKNOWN, with detail)", noSuch],
    ["a refused login (401 UNAUTHORIZED, Basic auth)", noSuch],
    ["an unknown repository (404 NAME_UNKNOWN)", noSuch],
    ["a rate limiter's HTML 429 (docker before 25)", noSuch],
    ["a proxy's HTML 403 (docker before 25)", noSuch],
    ["an index one of whose children is gone", noSuch],
    ["404 MANIFEST_UNKNOWN with no detail: the digest or one child of an index", "manifest unknown"],
    [
      "a rate limiter's HTML 429 (docker 25 and later)",
      "toomanyrequests: <html><body>Too Many Requests</body></html>",
    ],
  ];

  it.each(answers)("%s: the read failed, and is not `missing`", async (_answer, stderr) => {
    const { resolver } = resolverFor(A, [`nginx@${A}`], { [B]: `${stderr}\n` });
    await resolver.resolveTag(parseImageRef("nginx:latest"), []);
    const info = await resolver.inspectManifest({ ...parseImageRef("nginx"), tag: null, digest: B }, B, []);
    expect(info).toEqual({ ok: false, reason: expect.stringContaining(stderr) });
  });

  it.each(answers)("%s: a pod running that digest is unknown, never restarted", async (_answer, stderr) => {
    // The tag names one image manifest now; the node runs B, which docker cannot read.
    const pod = makePod({
      name: "web-7d9c8b-abcde",
      runtime: "containerd",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [{ name: "app", image: "nginx:latest", runningDigest: B }],
    });
    const { resolver } = resolverFor(A, [`nginx@${A}`], { [B]: `${stderr}\n` });
    const plan = await planOf(pod, resolver);
    expect(plan.pods[0]!.action).toBe("none");
    expect(plan.pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: `could not read the running manifest: ${stderr}${
        stderr === noSuch
          ? " (docker says this of a deleted manifest, a refused login and an error page alike; --resolver registry tells them apart)"
          : ""
      }`,
    });
  });
});

/**
 * `docker manifest inspect` reads a single manifest's config, and an index's children and their configs,
 * whether or not -v is given; -v prints what it read (types.ImageManifest, a list of them for an index)
 * rather than the manifest alone. So a read that needs the platform is one -v call, on either kind.
 */
describe("DockerResolver: a manifest's platform is one `docker manifest inspect -v`", () => {
  const repository = "localhost:5000/app";
  const ref = { ...parseImageRef(repository), tag: null };
  const single = (digest: string, mediaType = dockerManifest) => ({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: "application/vnd.docker.container.image.v1+json",
      size: 90,
      digest: configOf(digest),
    },
    layers: [],
  });
  const arm64 = { architecture: "arm64", os: "linux" };

  /** docker answering `manifest inspect` (plain or -v) of each digest with exactly `answers`. */
  function dockerAnswering(answers: Record<string, { plain?: unknown; verbose?: unknown }>) {
    const calls: string[][] = [];
    const exec: Exec = async (_file, args) => {
      calls.push([...args]);
      const answer = answers[args.at(-1)!.split("@")[1]!];
      const printed = args.includes("-v") ? answer?.verbose : answer?.plain;
      return {
        exitCode: 0,
        stdout: `${JSON.stringify(printed, null, "\t")}\n`,
        stderr: "",
        interrupted: false,
      };
    };
    const resolver = new DockerResolver(new Docker(exec, "docker"), {
      isInsecure: () => true,
      pullTimeoutMs: 60_000,
      userConfig: true,
      engine: { configDir: "/nonexistent/.docker" },
    });
    return { resolver, calls };
  }

  it.each([
    ["docker 20.10 (SchemaV2Manifest)", dockerManifest, false],
    ["docker 23 and later (Raw beside it)", dockerManifest, true],
    ["an OCI manifest, docker 23 and later (OCIManifest)", ociManifest, true],
  ])("a single manifest, %s: its config and platform from one call", async (_docker, mediaType, raw) => {
    const { resolver, calls } = dockerAnswering({
      [A]: { verbose: verboseEntry(`${repository}@${A}`, single(A, mediaType), arm64, raw) },
    });
    expect(await resolver.inspectManifest({ ...ref, digest: A }, A, [], { platform: true })).toEqual({
      ok: true,
      isIndex: false,
      config: configOf(A),
      platform: "linux/arm64/v8",
    });
    expect(calls).toEqual([["manifest", "inspect", "--insecure", "-v", `${repository}@${A}`]]);
  });

  it("an index: the same children and platforms from -v's list as from the plain answer, attestations left out", async () => {
    const children: [string, Record<string, string>, string][] = [
      [A, amd64, dockerManifest],
      [B, arm64, dockerManifest],
      [C, { architecture: "unknown", os: "unknown" }, ociManifest],
    ];
    const index = digestOf("index of A, B and an attestation");
    const { resolver, calls } = dockerAnswering({
      [index]: {
        // The plain form: docker rebuilds the list from the children it read.
        plain: {
          schemaVersion: 2,
          mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
          manifests: children.map(([digest, platform, mediaType]) => ({
            mediaType,
            size: 263,
            digest,
            platform,
          })),
        },
        verbose: children.map(([digest, platform, mediaType]) =>
          verboseEntry(`${repository}@${digest}`, single(digest, mediaType), platform, true),
        ),
      },
    });
    const expected = {
      ok: true,
      isIndex: true,
      children: [
        { digest: A, platform: "linux/amd64" },
        { digest: B, platform: "linux/arm64/v8" },
      ],
    };
    expect(await resolver.inspectManifest({ ...ref, digest: index }, index, [], { platform: true })).toEqual(
      expected,
    );
    expect(await resolver.inspectManifest({ ...ref, digest: index }, index, [])).toEqual(expected);
    expect(calls.map((call) => call.includes("-v"))).toEqual([true, false]);
  });

  it("an index a tag was pulled at, asked for with its platform: one read, its children's platforms its own", async () => {
    const index = digestOf("index app:v2 was pulled at");
    const list = {
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
      manifests: [
        { mediaType: dockerManifest, size: 263, digest: A, platform: amd64 },
        { mediaType: dockerManifest, size: 263, digest: B, platform: arm64 },
      ],
    };
    const manifestCalls: string[][] = [];
    const exec: Exec = async (_file, args) => {
      const verb = args[0] === "--config" ? args[2] : args[0];
      const answer = (stdout: unknown) => ({
        exitCode: 0,
        stdout: typeof stdout === "string" ? stdout : JSON.stringify(stdout),
        stderr: "",
        interrupted: false,
      });
      if (verb === "version") return answer("28.5.2\n");
      if (verb === "pull")
        return answer(`Digest: ${index}\nStatus: Image is up to date for ${args.at(-1)}\n`);
      if (verb === "image")
        return answer({ RepoDigests: [], Created: "2026-11-30T11:00:00Z", Platform: amd64 });
      manifestCalls.push([...args]);
      return answer(list);
    };
    const resolver = resolverOf(new Docker(exec, "docker"));
    const tag = { ...ref, tag: "v2" };
    expect(await resolver.resolveTag(tag, [])).toMatchObject({ ok: true });
    expect(await resolver.inspectManifest(tag, index, [], { platform: true })).toEqual({
      ok: true,
      isIndex: true,
      children: [
        { digest: A, platform: "linux/amd64" },
        { digest: B, platform: "linux/arm64/v8" },
      ],
    });
    expect(manifestCalls).toHaveLength(1);
  });

  it("without the platform, the plain answer; a -v answer holding no manifest is a failure, not a manifest", async () => {
    const { resolver, calls } = dockerAnswering({
      [A]: { plain: single(A), verbose: { Ref: `${repository}@${A}` } },
    });
    expect(await resolver.inspectManifest({ ...ref, digest: A }, A, [])).toEqual({
      ok: true,
      isIndex: false,
      config: configOf(A),
    });
    expect(await resolver.inspectManifest({ ...ref, digest: A }, A, [], { platform: true })).toEqual({
      ok: false,
      reason: "docker manifest inspect -v printed no manifest",
    });
    expect(calls.map((call) => call.includes("-v"))).toEqual([false, true]);
  });
});

/** A docker whose pulls all fail with `stderr`; every call kept. */
const failingPull = (stderr: string) => {
  const calls: { args: string[]; env?: Record<string, string | undefined> }[] = [];
  const exec: Exec = async (_file, args, options): Promise<ExecResult> => {
    calls.push({ args: [...args], ...(options?.env ? { env: options.env } : {}) });
    const verb = args[0] === "--config" ? args[2] : args[0];
    if (verb === "version") return { exitCode: 0, stdout: "27.5.1\n", stderr: "", interrupted: false };
    return { exitCode: 1, stdout: "", stderr, interrupted: false };
  };
  return { calls, docker: new Docker(exec, "docker") };
};
/** Why resolving 127.0.0.1:5000/app:latest failed. */
const reasonOf = async (
  resolver: DockerResolver,
  credentials: Parameters<DockerResolver["resolveTag"]>[1],
) => {
  const answer = await resolver.resolveTag(parseImageRef("127.0.0.1:5000/app:latest"), credentials);
  resolver.close();
  expect(answer.ok).toBe(false);
  return answer.ok ? "" : answer.reason;
};

describe("DockerResolver: what docker says of a failed pull keeps other secrets out too", () => {
  /** A docker whose pull fails with `stderr`; each call's arguments and environment kept. */
  // A blob a registry redirects to object storage: the presigned URL's query is a key to it.
  const signature = "9f0c1d2e3b4a5f6e7d8c9b0a1f2e3d4c";
  const signed = `http://127.0.0.1:9000/registry/blobs/sha256/6d/data?X-Amz-Credential=ASIAEXAMPLE%2F20261203&X-Amz-Security-Token=SESSIONTOKEN&X-Amz-Signature=${signature}`;
  it.each([
    // The containerd image store's wording (docker 28), then the classic store's.
    [
      `failed to copy: httpReadSeeker: failed open: failed to do request: Get "${signed}": connection refused\n`,
    ],
    [`error pulling image configuration: Get ${signed}: EOF\n`],
  ])("a signed URL docker quotes is named without its query: %s", async (stderr) => {
    const resolver = resolverOf(failingPull(stderr).docker);
    const reason = await reasonOf(resolver, []);
    expect(reason).toContain("http://127.0.0.1:9000/registry/blobs/sha256/6d/data?…");
    expect(reason).not.toMatch(/SESSIONTOKEN|ASIAEXAMPLE|9f0c1d2e/);
  });

  it("the user's own docker config credential, echoed back by the registry, is blanked as a pull secret is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-docker-config-"));
    const pair = Buffer.from("me:MY-OWN-DOCKER-PASSWORD").toString("base64");
    writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { "127.0.0.1:5000": { auth: pair } } }));
    const echo = `Error response from daemon: Head "https://127.0.0.1:5000/v2/app/manifests/latest": error parsing HTTP 401 response body: "Authorization: Basic ${pair} (MY-OWN-DOCKER-PASSWORD)"\n`;
    const resolver = new DockerResolver(failingPull(echo).docker, {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: true,
      engine: userDockerEngine({ DOCKER_CONFIG: dir }, "/nonexistent"),
    });
    const reason = await reasonOf(resolver, []);
    rmSync(dir, { recursive: true });
    expect(reason).toContain("Authorization: Basic <redacted> (<redacted>)");
  });

  it("a credential docker's own helper keeps (credsStore, credHelpers), echoed back, is blanked: the helper is asked", async () => {
    const pair = Buffer.from("me:HELPER-KEPT-PASSWORD").toString("base64");
    const echo = `Error response from daemon: Head "https://127.0.0.1:5000/v2/app/manifests/latest": error parsing HTTP 401 response body: "Authorization: Basic ${pair} (HELPER-KEPT-PASSWORD)"\n`;
    const asked: string[] = [];
    const resolver = new DockerResolver(failingPull(echo).docker, {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: true,
      engine: userDockerEngine({ DOCKER_CONFIG: "/nonexistent/.docker" }, "/nonexistent"),
      userCredentials: async (domain) => {
        asked.push(domain);
        return [{ username: "me", password: "HELPER-KEPT-PASSWORD", source: "docker config credsStore" }];
      },
    });
    expect(await reasonOf(resolver, [])).toContain("Authorization: Basic <redacted> (<redacted>)");
    expect(asked).toEqual(["127.0.0.1:5000"]);
  });

  it("a helper's password that holds another credential's (a shared base, a suffix per registry) is blanked whole", async () => {
    const env = {
      DOCKER_CONFIG: "/nonexistent/.docker",
      DOCKER_AUTH_CONFIG: JSON.stringify({
        auths: { "other.example": { auth: Buffer.from("ci:TEAM-PASS-2024").toString("base64") } },
      }),
    };
    const echo = `Error response from daemon: Head "https://127.0.0.1:5000/v2/app/manifests/latest": error parsing HTTP 401 response body: "bad password TEAM-PASS-2024-ADMIN-x9Q"\n`;
    const resolver = new DockerResolver(failingPull(echo).docker, {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: true,
      engine: userDockerEngine(env, "/nonexistent"),
      userCredentials: async () => [
        { username: "me", password: "TEAM-PASS-2024-ADMIN-x9Q", source: "docker config credsStore" },
      ],
    });
    const reason = await reasonOf(resolver, []);
    expect(reason).toContain('"bad password <redacted>"');
    expect(reason).not.toContain("x9Q");
  });

  it("a DOCKER_AUTH_CONFIG credential echoed back by the registry is blanked too", async () => {
    // docker 28.3 and later authenticate from it when the pull uses the user's own setup (GitLab CI sets it).
    const pair = Buffer.from("ci-bot:CI-REGISTRY-PASSWORD").toString("base64");
    const env = {
      DOCKER_CONFIG: "/nonexistent/.docker",
      DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { "127.0.0.1:5000": { auth: pair } } }),
    };
    const echo = `Error response from daemon: Head "https://127.0.0.1:5000/v2/app/manifests/latest": error parsing HTTP 401 response body: "Authorization: Basic ${pair} (CI-REGISTRY-PASSWORD)"\n`;
    const resolver = new DockerResolver(failingPull(echo).docker, {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: true,
      engine: userDockerEngine(env, "/nonexistent"),
    });
    expect(await reasonOf(resolver, [])).toContain("Authorization: Basic <redacted> (<redacted>)");
  });

  it("a tag with no image for the engine's platform is not read again with each other credential", async () => {
    const { calls, docker } = failingPull(
      "Error response from daemon: no matching manifest for linux/arm64/v8 in the manifest list entries\n",
    );
    const resolver = resolverOf(docker);
    const first = { username: "a", password: "pw-first", source: "secret shop/a" };
    const second = { username: "b", password: "pw-second", source: "secret shop/b" };
    expect(await reasonOf(resolver, [first, second])).toBe(
      "pull failed: no matching manifest for linux/arm64/v8 in the manifest list entries (with secret shop/a); " +
        "the tag has no image for this docker engine's platform: --resolver registry reads it",
    );
    expect(calls.filter((call) => call.args.includes("pull"))).toHaveLength(1);
  });

  it("after pull secrets, the user's config only when it holds a credential for the registry: never anonymous", async () => {
    // An expired pull secret on a public repository: the kubelet pulls with it alone, and fails; an
    // anonymous pull would have found the tag and had the pod restarted into ErrImagePull.
    const { calls, docker } = failingPull("unauthorized: authentication required\n");
    const resolver = new DockerResolver(docker, {
      isInsecure: () => false,
      pullTimeoutMs: 60_000,
      userConfig: true,
      engine: { configDir: "/nonexistent/.docker" },
      userCredentials: async () => [],
    });
    const secret = { username: "ci", password: "EXPIRED-PW", source: "secret web/old" };
    expect(await reasonOf(resolver, [secret])).toBe(
      "pull failed: unauthorized: authentication required (with secret web/old)",
    );
    expect(calls.filter((c) => c.args.includes("pull")).map((c) => c.args[0])).toEqual(["--config"]);
    // A pull secret that works: the user's helper is never asked (it may prompt, or call a cloud).
    let asked = 0;
    const works = new DockerResolver(
      fakeDocker(digestOf("app"), [`127.0.0.1:5000/app@${digestOf("app")}`]).docker,
      {
        isInsecure: () => false,
        pullTimeoutMs: 60_000,
        userConfig: true,
        engine: { configDir: "/nonexistent/.docker" },
        userCredentials: async () => {
          asked++;
          return [];
        },
      },
    );
    await works.resolveTag(parseImageRef("127.0.0.1:5000/app:latest"), [secret]);
    works.close();
    expect(asked).toBe(0);
    // With no pull secret, the user's own setup is what the pull uses, whatever it holds.
    await reasonOf(resolver, []);
    expect(calls.filter((c) => c.args.includes("pull")).map((c) => c.args[0])).toEqual(["--config", "pull"]);
  });

  it("a $DOCKER_AUTH_CONFIG credential counts only for a docker that reads it: 28.3 and later", async () => {
    const asked: boolean[] = [];
    const pullsWith = async (version: string) => {
      const calls: string[] = [];
      const exec: Exec = async (_file, args) => {
        const verb = args[0] === "--config" ? args[2] : args[0];
        if (verb === "version")
          return { exitCode: 0, stdout: `${version} 28.5.2\n`, stderr: "", interrupted: false };
        if (verb === "pull") calls.push(args[0] === "--config" ? "secret" : "own");
        return {
          exitCode: 1,
          stdout: "",
          stderr: "unauthorized: authentication required\n",
          interrupted: false,
        };
      };
      const resolver = new DockerResolver(new Docker(exec, "docker"), {
        isInsecure: () => false,
        pullTimeoutMs: 60_000,
        userConfig: true,
        engine: { configDir: "/nonexistent/.docker" },
        // The user's setup holds a credential for the registry only in $DOCKER_AUTH_CONFIG (GitLab CI).
        userCredentials: async (_domain, readsAuthConfig) => {
          asked.push(readsAuthConfig);
          return readsAuthConfig ? [{ username: "ci", password: "CI-PW", source: "DOCKER_AUTH_CONFIG" }] : [];
        },
      });
      await reasonOf(resolver, [{ username: "ci", password: "EXPIRED-PW", source: "secret web/old" }]);
      return calls;
    };
    // docker 27 pulls anonymously after the expired secret: not tried, the secret's refusal stands.
    expect(await pullsWith("27.5.1")).toEqual(["secret"]);
    expect(await pullsWith("28.2.2")).toEqual(["secret"]);
    expect(await pullsWith("28.3.0")).toEqual(["secret", "own"]);
    expect(await pullsWith("29.0.1")).toEqual(["secret", "own"]);
    expect(await pullsWith("dev")).toEqual(["secret"]);
    expect(asked).toContain(false);
  });

  it("a manifest read of a plain-http registry the engine lets pulls through names the flag it needs", async () => {
    // The engine's insecure-registries are its own: docker manifest inspect, the CLI's, reads https.
    const refused = 'Get "https://registry.lan:5000/v2/": http: server gave HTTP response to HTTPS client';
    const now = digestOf("now");
    const exec: Exec = async (_file, args) => {
      const verb = args[0] === "--config" ? args[2] : args[0];
      const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: "", interrupted: false });
      if (verb === "version") return ok("28.5.2 28.5.2\n");
      if (verb === "pull") return ok(`Digest: ${now}\n`);
      if (verb === "image") return ok(JSON.stringify({ RepoDigests: [`registry.lan:5000/app@${now}`] }));
      return { exitCode: 1, stdout: "", stderr: `${refused}\n`, interrupted: false };
    };
    const resolver = resolverOf(new Docker(exec, "docker"));
    const pod = makePod({
      name: "web-7d9c8b-abcde",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      containers: [{ name: "app", image: "registry.lan:5000/app:main", runningDigest: digestOf("running") }],
    });
    const resolutions = await resolveImages(imagesToResolve(imagesInUse([pod])), resolver, {
      limiter: new Limiter(1),
      credentialsFor: async () => [],
    });
    resolver.close();
    const owners = indexOwners([makeReplicaSet("web-7d9c8b", "web")]);
    const plan = decidePlan({ resolver: "docker", pods: [pod], owners, resolutions });
    expect(plan.pods[0]!.containers[0]).toMatchObject({
      status: "unknown",
      reason: `could not read the tag's manifest: ${refused} (pass --insecure-registry HOST[:PORT])`,
    });
  });

  it("a pull token a registry echoes (Bearer, minted from the secret, so unknown here) is blanked", async () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJhY2Nlc3MiOltdfQ.c2lnbmF0dXJl";
    const echo = `Error response from daemon: Head "https://127.0.0.1:5000/v2/app/manifests/latest": error parsing HTTP 403 response body: "Authorization: Bearer ${token}"; Www-Authenticate: Bearer realm="https://127.0.0.1:5001/token",service="reg"\n`;
    const reason = await reasonOf(resolverOf(failingPull(echo).docker), []);
    expect(reason).not.toContain(token);
    expect(reason).toContain(
      'Authorization: Bearer <redacted>"; Www-Authenticate: Bearer realm="https://127.0.0.1:5001/token"',
    );
  });

  it("with a config chosen here (a pull secret's, or none), docker does not get the user's DOCKER_AUTH_CONFIG", async () => {
    // docker 28.3 and later read it before the config's credentials (GitLab CI sets it).
    const { calls, docker } = failingPull("unauthorized\n");
    const resolver = resolverOf(docker);
    const secret = { username: "puller", password: "PULL-SECRET-PW", source: "secret web/regcred" };
    await reasonOf(resolver, [secret]);
    const pulls = calls.filter((c) => c.args.includes("pull"));
    // The pull secret's config, then the user's own (which may well be DOCKER_AUTH_CONFIG). Never content
    // trust: a pull would read the tag's last signed digest, which the kubelet does not.
    const noTrust = { DOCKER_CONTENT_TRUST: undefined, DOCKER_CONTENT_TRUST_SERVER: undefined };
    expect(pulls.map((c) => [c.args[0], c.env])).toEqual([
      ["--config", { ...noTrust, DOCKER_AUTH_CONFIG: undefined }],
      ["pull", noTrust],
    ]);
  });
});

describe("DockerResolver: what docker's failed pull says", () => {
  it("a Windows engine's words for a tag with no image for its platform (its OS build named too)", async () => {
    const { calls, docker } = failingPull(
      "Error response from daemon: no matching manifest for windows/amd64 10.0.20348 in the manifest list entries\n",
    );
    const resolver = resolverOf(docker);
    const secret = { username: "a", password: "pw-first", source: "secret shop/a" };
    expect(await reasonOf(resolver, [secret])).toContain("--resolver registry reads it");
    expect(calls.filter((call) => call.args.includes("pull"))).toHaveLength(1);
  });

  it.each([
    [
      "classic store",
      "Error response from daemon: manifest for 127.0.0.1:5000/app:latest not found: manifest unknown: manifest unknown\n",
    ],
    [
      "classic store, the repository gone (ECR's deleted repository)",
      "Error response from daemon: repository 127.0.0.1:5000/app not found: name unknown: The repository with name 'app' does not exist in the registry\n",
    ],
    [
      "containerd store",
      'Error response from daemon: failed to resolve reference "127.0.0.1:5000/app:latest": 127.0.0.1:5000/app:latest: not found\n',
    ],
  ])("a tag docker says is not there (%s) is missing: no new pod could pull it", async (_, stderr) => {
    const resolver = resolverOf(failingPull(stderr).docker);
    const answer = await resolver.resolveTag(parseImageRef("127.0.0.1:5000/app:latest"), []);
    resolver.close();
    expect(answer).toMatchObject({ ok: false, missing: true });
  });

  it("a tag not found with one credential and refused with another is not missing: which is right is not known", async () => {
    let pulls = 0;
    const exec: Exec = async (_file, args): Promise<ExecResult> => {
      const verb = args[0] === "--config" ? args[2] : args[0];
      if (verb === "version") return { exitCode: 0, stdout: "27.5.1\n", stderr: "", interrupted: false };
      const stderr = ++pulls === 1 ? "manifest unknown\n" : "unauthorized: authentication required\n";
      return { exitCode: 1, stdout: "", stderr, interrupted: false };
    };
    const resolver = resolverOf(new Docker(exec, "docker"));
    const secret = { username: "a", password: "pw-first", source: "secret shop/a" };
    const answer = await resolver.resolveTag(parseImageRef("127.0.0.1:5000/app:latest"), [secret]);
    resolver.close();
    expect(answer).toEqual({ ok: false, reason: expect.stringContaining("unauthorized") });
  });

  it("docker's warning that it cannot read the user's config is not taken for its error", async () => {
    const warning =
      "WARNING: Error loading config file: /home/me/.docker/config.json: open /home/me/.docker/config.json: permission denied\n";
    const resolver = new DockerResolver(
      failingPull(`${warning}Error response from daemon: unauthorized: authentication required\n`).docker,
      {
        isInsecure: () => false,
        pullTimeoutMs: 60_000,
        userConfig: true,
        engine: { configDir: "/nonexistent/.docker" },
      },
    );
    expect(await reasonOf(resolver, [])).toBe("pull failed: unauthorized: authentication required");
  });
});

describe("docker image inspect's Created, for a config that states none", () => {
  const dockerPrinting = (created: unknown) =>
    new Docker(
      async () => ({
        exitCode: 0,
        stdout: `${JSON.stringify({ RepoDigests: [], Created: created, Labels: null })}\n`,
        stderr: "",
        interrupted: false,
      }),
      "docker",
    );

  it.each([[""], ["0001-01-01T00:00:00Z"], [null]])(
    "%j is null, as the registry resolver has it",
    async (created) => {
      const inspected = await dockerPrinting(created).inspectImage("reg.example.com/app:1");
      expect(inspected).toMatchObject({ ok: true, value: { created: null } });
    },
  );

  it("a stated time is kept as docker prints it", async () => {
    const inspected = await dockerPrinting("2026-11-28T09:14:03.123456789Z").inspectImage(
      "reg.example.com/app:1",
    );
    expect(inspected).toMatchObject({ ok: true, value: { created: "2026-11-28T09:14:03.123456789Z" } });
  });
});

/** A resolver over `exec` with pull secrets only (no docker config of the user's), as the CronJob runs it. */
function secretsOnly(exec: Exec, pullTimeoutMs = 60_000): DockerResolver {
  return new DockerResolver(new Docker(exec, "docker"), {
    isInsecure: () => false,
    pullTimeoutMs,
    userConfig: false,
    engine: { configDir: "/nonexistent/.docker" },
  });
}

/**
 * A docker at the exec boundary whose `version` and `image inspect` answer, and whose pulls `pull` answers,
 * given the reference, the private config's text (empty for none) and the timeout handed over.
 */
function pullingDocker(
  pull: (reference: string, config: string, timeoutMs: number, verb: string) => Promise<ExecResult>,
): Exec {
  return async (_file, args, options) => {
    const config = args[0] === "--config" ? readFileSync(join(args[1]!, "config.json"), "utf8") : "";
    const verb = args[0] === "--config" ? args[2]! : args[0]!;
    if (verb === "version") return done("27.5.1\n");
    if (verb === "image") return done(JSON.stringify({ RepoDigests: [], Created: null, Labels: null }));
    return pull(args.at(-1)!, config, options?.timeoutMs ?? 1e9, verb);
  };
}

const done = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: "", interrupted: false });
const failed = (stderr: string): ExecResult => ({ exitCode: 1, stdout: "", stderr, interrupted: false });
const pulledDigest = () =>
  done(`main: Pulling from x\nDigest: ${digestOf("a")}\nStatus: Image is up to date\n`);
/** docker's words for a login the registry turned down. */
const loginRefused = (host: string) =>
  failed(
    `Error response from daemon: Head "https://${host}/v2/team/x/manifests/main": unauthorized: incorrect username or password\n`,
  );
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");

describe("DockerResolver: a pull secret a registry turned down", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const killed: ExecResult = { exitCode: -1, stdout: "", stderr: "", interrupted: true };
  const secret = (user: string, password: string, name: string) => ({
    username: user,
    password,
    source: `secret shop/${name}`,
  });
  const stale = secret("robot", "OLD-PASSWORD", "regcred-old");
  const good = secret("robot", "NEW-PASSWORD", "regcred");
  const withStale = (config: string) => config.includes(basic("robot", "OLD-PASSWORD"));

  it("is tried after the others on that registry for the rest of the run, not first for every image", async () => {
    const pulls: string[] = [];
    const resolver = secretsOnly(
      pullingDocker(async (reference, config) => {
        pulls.push(`${reference} ${withStale(config) ? "stale" : "good"}`);
        return withStale(config) && reference.startsWith("docker.io/")
          ? loginRefused("registry-1.docker.io")
          : pulledDigest();
      }),
    );
    for (const image of ["docker.io/team/a:main", "docker.io/team/b:main", "ghcr.io/team/c:main"]) {
      expect(await resolver.resolveTag(parseImageRef(image), [stale, good])).toMatchObject({ ok: true });
    }
    resolver.close();
    expect(pulls).toEqual([
      "docker.io/team/a:main stale",
      "docker.io/team/a:main good",
      // Turned down by docker.io only: first there no more, still first on another registry.
      "docker.io/team/b:main good",
      "ghcr.io/team/c:main stale",
    ]);
  });

  it("pulled at once (--concurrency), each of several is sent once: the others wait for its first answer", async () => {
    // After rotations, one robot account's old passwords in secrets the pods still name.
    const refused: Record<string, number> = { "PW-2024": 0, "PW-2025": 0, "PW-2026": 0 };
    const old = Object.keys(refused).map((password) => secret("robot", password, `regcred-${password}`));
    const resolver = secretsOnly(
      pullingDocker(async (_reference, config) => {
        await sleep(20); // a registry round trip
        const sent = Object.keys(refused).find((password) => config.includes(basic("robot", password)));
        if (!sent) return pulledDigest();
        refused[sent]!++;
        return loginRefused("registry.corp");
      }),
    );
    const images = ["a", "b", "c", "d"].map((n) => parseImageRef(`registry.corp/team/${n}:main`));
    const answers = await Promise.all(images.map((ref) => resolver.resolveTag(ref, [...old, good])));
    resolver.close();
    expect(answers.map((answer) => answer.ok)).toEqual([true, true, true, true]);
    expect(refused).toEqual({ "PW-2024": 1, "PW-2025": 1, "PW-2026": 1 });
  });

  it("turned down by another image's pull while this one was busy, is not sent again before one that works", async () => {
    // Docker Hub: another org's robot (no access to team/*), the password a rotation left, the current one.
    const otherOrg = secret("other-robot", "OTHER-PW", "other-org");
    let staleRefusals = 0;
    const resolver = secretsOnly(
      pullingDocker(async (reference, config) => {
        if (config.includes(basic("other-robot", "OTHER-PW"))) {
          // Docker Hub takes its time for b's repository.
          await sleep(reference.includes("/b:") ? 300 : 10);
          return failed(
            `Error response from daemon: pull access denied for ${reference}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n`,
          );
        }
        await sleep(20);
        if (!withStale(config)) return pulledDigest();
        staleRefusals++;
        return loginRefused("registry-1.docker.io");
      }),
    );
    const answers = await Promise.all(
      ["docker.io/team/a:main", "docker.io/team/b:main"].map((image) =>
        resolver.resolveTag(parseImageRef(image), [otherOrg, stale, good]),
      ),
    );
    resolver.close();
    expect(answers.map((answer) => answer.ok)).toEqual([true, true]);
    expect(staleRefusals).toBe(1);
  });

  it.each([
    ["ends exactly as w's time runs out (the stale secret never sent by w)", 60_000],
    ["leaves w 10 ms (its pull with the stale secret killed before the registry answers)", 59_990],
  ])("w's first secret's pull %s: the next images send the stale secret once", async (_, firstEnds) => {
    vi.useFakeTimers();
    try {
      let staleRefusals = 0;
      const resolver = secretsOnly(
        pullingDocker(async (_reference, config, timeoutMs) => {
          if (config.includes(basic("one", "PW-ONE"))) {
            await sleep(firstEnds);
            return failed("Error response from daemon: unexpected EOF\n");
          }
          // A registry round trip, or the timeout handed over if that comes first.
          await sleep(Math.min(20, timeoutMs));
          if (timeoutMs < 20) return killed;
          if (!withStale(config)) return pulledDigest();
          staleRefusals++;
          return loginRefused("registry.corp");
        }),
      );
      const one = secret("one", "PW-ONE", "one");
      const w = resolver.resolveTag(parseImageRef("registry.corp/team/w:main"), [one, stale]);
      await vi.advanceTimersByTimeAsync(61_000);
      await w;
      // Then three images at once (--concurrency), after a rotation that left [regcred-old, regcred].
      const asks = ["a", "b", "c"].map((n) =>
        resolver.resolveTag(parseImageRef(`registry.corp/team/${n}:main`), [stale, good]),
      );
      await vi.advanceTimersByTimeAsync(30_000);
      const answers = await Promise.all(asks);
      resolver.close();
      expect(answers.map((answer) => answer.ok)).toEqual([true, true, true]);
      expect(staleRefusals).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is not the one another repository's manifest is read with", async () => {
    const digest = digestOf("b");
    let staleLogins = 0;
    const resolver = secretsOnly(
      pullingDocker(async (_reference, config, _timeoutMs, verb) => {
        if (withStale(config)) {
          staleLogins++;
          return verb === "manifest"
            ? failed(`no such manifest: registry.corp/team/a-dev@${digest}\n`)
            : loginRefused("registry.corp");
        }
        if (verb === "pull")
          return done(`main: Pulling from x\nDigest: ${digest}\nStatus: Image is up to date\n`);
        return done(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: dockerManifest,
            config: { digest: configOf(digest) },
          }),
        );
      }),
    );
    expect(
      await resolver.resolveTag(parseImageRef("registry.corp/team/a:main"), [stale, good]),
    ).toMatchObject({
      ok: true,
    });
    // A node runs the digest under another repository of the registry.
    const other = { ...parseImageRef("registry.corp/team/a-dev:main"), tag: null, digest };
    const info = await resolver.inspectManifest(other, digest, [stale, good]);
    resolver.close();
    expect(info.ok).toBe(true);
    expect(staleLogins).toBe(1);
  });
});

describe("DockerResolver: the wait for another image's first pull with a secret", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const killed: ExecResult = { exitCode: -1, stdout: "", stderr: "", interrupted: true };

  /** Images asked for at `startsMs` each, on fake timers: when each ended, after `runMs`. */
  async function endings(
    exec: Exec,
    pullTimeoutMs: number,
    asks: [image: string, secrets: Credential[], startsMs: number][],
    runMs: number,
  ): Promise<Record<string, number>> {
    vi.useFakeTimers();
    try {
      const resolver = secretsOnly(exec, pullTimeoutMs);
      const start = Date.now();
      const ended: Record<string, number> = {};
      const answers: Promise<unknown>[] = [];
      for (const [image, secrets, startsMs] of asks) {
        await vi.advanceTimersByTimeAsync(startsMs - (Date.now() - start));
        answers.push(
          resolver.resolveTag(parseImageRef(`registry.corp/team/${image}:main`), secrets).then(() => {
            ended[image] = Date.now() - start;
          }),
        );
      }
      await vi.advanceTimersByTimeAsync(runMs);
      await Promise.all(answers);
      resolver.close();
      return ended;
    } finally {
      vi.useRealTimers();
    }
  }
  const regcred = { username: "robot", password: "PW", source: "secret shop/regcred" };

  it("a first pull that takes long (layers to download) holds the others with its secret back 10 s at most", async () => {
    let pulls = 0;
    const exec = pullingDocker(async () => {
      // The first pull downloads for a minute; the others find their layers there.
      if (pulls++ === 0) await sleep(60_000);
      return pulledDigest();
    });
    const ended = await endings(
      exec,
      300_000,
      [
        ["a", [regcred], 0],
        ["b", [regcred], 0],
      ],
      60_000,
    );
    expect(ended).toEqual({ a: 60_000, b: 10_000 });
  });

  it("is taken off --pull-timeout: an image that waited still ends within it", async () => {
    // A registry that does not answer: each pull killed at the timeout handed over.
    const exec = pullingDocker(async (_reference, _config, timeoutMs) => {
      await sleep(timeoutMs);
      return killed;
    });
    const ended = await endings(
      exec,
      5_000,
      [
        ["a", [regcred], 0],
        ["b", [regcred], 0],
      ],
      20_000,
    );
    expect(ended).toEqual({ a: 5_000, b: 5_000 });
  });

  it("ends at the image's --pull-timeout, not when the pull it waits for ends", async () => {
    const one = { username: "one", password: "PW-ONE", source: "secret shop/one" };
    const two = { username: "two", password: "PW-TWO", source: "secret shop/two" };
    const exec = pullingDocker(async (_reference, config, timeoutMs) => {
      if (config.includes(basic("one", "PW-ONE"))) {
        // Layers downloaded for 58 s, then the connection dropped.
        await sleep(58_000);
        return failed("Error response from daemon: unexpected EOF\n");
      }
      // The registry does not answer z's pull with the other secret: killed at its timeout.
      await sleep(timeoutMs);
      return killed;
    });
    // z starts 5 s later (a --concurrency slot freed), its first secret the second of w's.
    const ended = await endings(
      exec,
      60_000,
      [
        ["w", [one, two], 0],
        ["z", [two], 5_000],
      ],
      120_000,
    );
    expect(ended.w).toBeLessThanOrEqual(60_000);
  });
});
