/**
 * Real images in a real registry: tiny `FROM scratch` images built by the test engine and pushed, so a
 * tag can be moved, deleted or made multi-arch the way a CI pipeline would.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";

const run = promisify(execFile);

let clientConfig: string | undefined;

/**
 * Environment for docker commands against the test engine, with a private client config (never ~/.docker).
 */
export function dockerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  clientConfig ??= mkdtempSync(join(tmpdir(), "kau-docker-client-"));
  return { ...process.env, DOCKER_HOST: inject("dockerHost"), DOCKER_CONFIG: clientConfig, ...extra };
}

export async function docker(args: string[], env = dockerEnv()): Promise<string> {
  const { stdout } = await run("docker", args, { env, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Builds an image whose only file holds `content` (different content → different digest) and pushes it. */
export async function pushImage(
  reference: string,
  content: string,
  options: { platform?: string; configDir?: string } = {},
): Promise<string> {
  const ctx = mkdtempSync(join(tmpdir(), "kau-image-"));
  try {
    writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\nCOPY content /content\n");
    writeFileSync(join(ctx, "content"), content);
    const platform = options.platform ? ["--platform", options.platform] : [];
    await docker(["build", "-q", ...platform, "-t", reference, ctx]);
    const config = options.configDir ? ["--config", options.configDir] : [];
    const out = await docker([...config, "push", reference]);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(out)?.[1];
    if (!digest) throw new Error(`docker push printed no digest:\n${out}`);
    return digest;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/**
 * Pushes a two-platform index under `reference` (amd64 + arm64 children with the given contents) and
 * returns the index digest and each child's manifest digest.
 */
export async function pushIndex(
  reference: string,
  contents: { amd64: string; arm64: string },
): Promise<{ index: string; amd64: string; arm64: string }> {
  const amd64 = await pushImage(`${reference}-amd64`, contents.amd64, { platform: "linux/amd64" });
  const arm64 = await pushImage(`${reference}-arm64`, contents.arm64, { platform: "linux/arm64" });
  await docker(["manifest", "rm", reference]).catch(() => "");
  await docker(["manifest", "create", "--insecure", reference, `${reference}-amd64`, `${reference}-arm64`]);
  await docker(["manifest", "annotate", reference, `${reference}-arm64`, "--os", "linux", "--arch", "arm64"]);
  const out = await docker(["manifest", "push", "--purge", "--insecure", reference]);
  const index = /(sha256:[a-f0-9]{64})/.exec(out)?.[1];
  if (!index) throw new Error(`docker manifest push printed no digest:\n${out}`);
  return { index, amd64, arm64 };
}

/** Removes the local copy so the next pull has to reach the registry. */
export async function removeLocal(reference: string): Promise<void> {
  await docker(["image", "rm", "-f", reference]).catch(() => "");
}

/** Deletes a manifest from the registry (the tag then answers 404). */
export async function deleteFromRegistry(host: string, repository: string, digest: string): Promise<void> {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${digest}`, { method: "DELETE" });
  if (response.status !== 202) throw new Error(`registry DELETE answered ${response.status}`);
}
