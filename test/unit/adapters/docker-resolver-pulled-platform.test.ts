/**
 * The docker resolver takes the tag's platform from `docker image inspect` after the pull rather than
 * reading its manifest again with `docker manifest inspect -v`: both must give the same verdict. Each case
 * runs the same plan twice, once with image inspect printing the platform, once without it (the -v read).
 */
import { describe, expect, it } from "vitest";
import { Docker } from "../../../src/adapters/docker.js";
import { DockerResolver } from "../../../src/adapters/docker-resolver.js";
import type { Exec } from "../../../src/adapters/exec.js";
import type { ExecResult } from "../../../src/adapters/exec-result.js";
import { decidePlan } from "../../../src/core/decide.js";
import { imagesInUse, imagesToResolve } from "../../../src/core/images-in-use.js";
import { indexOwners } from "../../../src/core/owners.js";
import { resolveImages } from "../../../src/pipeline/resolve.js";
import { Limiter } from "../../../src/util/limiter.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { configOf } from "../../support/resolutions.js";

const A = digestOf("tag A");
const B = digestOf("running B");
const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

/**
 * `configPlatform`: what the tag's (A's) image config states, exactly (os, architecture, variant, os.version
 * keys only when stated); `inspected`: what `docker image inspect` prints for it (Os defaulted by the
 * daemon). The running B is linux/amd64.
 */
async function verdict(
  configPlatform: Record<string, string>,
  inspected: Record<string, string> | undefined,
) {
  const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: "", interrupted: false });
  const exec: Exec = async (_file, args) => {
    const sub = args[0];
    if (sub === "version") return ok("28.5.2\n");
    if (sub === "pull") return ok(`Digest: ${A}\nStatus: Image is up to date\n`);
    if (sub === "image") {
      const image = { RepoDigests: [`nginx@${A}`], Created: "2026-11-30T11:00:00Z", Labels: null };
      return ok(JSON.stringify(inspected ? { ...image, Platform: inspected } : image));
    }
    const ref = args.at(-1)!;
    const digest = ref.split("@")[1]!;
    const manifest = { schemaVersion: 2, mediaType: dockerManifest, config: { digest: configOf(digest) } };
    if (!args.includes("-v")) return ok(JSON.stringify(manifest));
    // docker's fetcher: an ocispec.Platform{} filled by json.Unmarshal of the config (architecture and os
    // are always printed, "" when the config states none).
    const stated = digest === A ? configPlatform : { architecture: "amd64", os: "linux" };
    const platform = { architecture: "", os: "", ...stated };
    return ok(JSON.stringify({ Ref: ref, Descriptor: { digest, platform }, SchemaV2Manifest: manifest }));
  };
  const resolver = new DockerResolver(new Docker(exec, "docker"), {
    isInsecure: () => false,
    pullTimeoutMs: 60_000,
    userConfig: true,
    engine: { configDir: "/nonexistent/.docker" },
  });
  const pod = makePod({
    name: "web-7d9c8b-x2x9q",
    runtime: "cri-dockerd",
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    containers: [{ name: "app", image: "nginx:latest", runningDigest: B }],
  });
  const resolutions = await resolveImages(imagesToResolve(imagesInUse([pod])), resolver, {
    limiter: new Limiter(1),
    credentialsFor: async () => [],
  });
  const plan = decidePlan({
    resolver: "docker",
    pods: [pod],
    owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
    resolutions,
  });
  const c = plan.pods[0]!.containers[0]!;
  return [c.status, c.reason];
}

/** What docker image inspect prints for a config (the daemon's Image.OperatingSystem() fills in GOOS). */
const inspectOf = (config: Record<string, string>) => ({
  os: config["os"] || "linux",
  architecture: config["architecture"] ?? "",
  variant: config["variant"] ?? "",
  "os.version": config["os.version"] ?? "",
});

describe("DockerResolver: the pulled image's platform against docker manifest inspect -v", () => {
  it.each<[string, Record<string, string>]>([
    ["arm64 without variant", { os: "linux", architecture: "arm64" }],
    ["arm64/v8", { os: "linux", architecture: "arm64", variant: "v8" }],
    ["amd64", { os: "linux", architecture: "amd64" }],
    ["arm/v7", { os: "linux", architecture: "arm", variant: "v7" }],
    // -v prints "" for both; image inspect the engine's os and "" for the architecture: none stated.
    ["a config that states no platform", {}],
    // -v prints no os, image inspect the engine's: the digests decide against a linux/amd64 image either way.
    ["a config that states an architecture but no os", { architecture: "amd64" }],
  ])("%s: same verdict", async (_, config) => {
    const viaVerbose = await verdict(config, undefined);
    const viaPull = await verdict(config, inspectOf(config));
    expect(viaPull).toEqual(viaVerbose);
  });
});
