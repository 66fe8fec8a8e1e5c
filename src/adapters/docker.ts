/** The docker CLI: pull, image inspect, manifest inspect. Credentials arrive only as a --config directory. */

import { platformKey } from "../core/manifest.js";
import { withoutUrlSecrets } from "../util/url-secrets.js";
import type { Exec } from "./exec.js";
import { firstLine } from "./exec-result.js";

/** `interrupted`: stopped by its timeout or a signal, which says nothing of the image or the credential. */
export type DockerOutcome<T> = { ok: true; value: T } | { ok: false; reason: string; interrupted?: true };

export interface DockerCallOptions {
  /** A private config directory holding the credentials for this call; the user's config when absent. */
  configDir?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A local image as `docker image inspect` shows it; labels as docker printed them. */
export interface LocalImage {
  repoDigests: string[];
  created: string | null;
  labels: unknown;
  /**
   * Its config's platform, as platformKey writes one (null: none stated; undefined: docker printed none). An
   * os the config leaves out is the engine's own (linux): the image is run as such.
   */
  platform: string | null | undefined;
}

export class Docker {
  constructor(
    private readonly exec: Exec,
    readonly binary: string,
  ) {}

  /**
   * Checks that the engine answers, so a stopped daemon is one clear error rather than N failed pulls; the
   * value is the client's version (what it reads of the user's setup is the client's to say).
   */
  async ping(signal?: AbortSignal): Promise<DockerOutcome<string>> {
    const answer = await this.call(["version", "--format", "{{.Client.Version}} {{.Server.Version}}"], {
      signal,
      timeoutMs: 20_000,
    });
    return answer.ok ? { ok: true, value: answer.value.trim().split(/\s+/)[0] ?? "" } : answer;
  }

  /** `docker pull`; returns the digest the tag points to now (the `Digest:` line). */
  async pull(reference: string, options: DockerCallOptions = {}): Promise<DockerOutcome<string | null>> {
    const result = await this.call(["pull", reference], options);
    if (!result.ok) return result;
    const digest = /^Digest: (sha256:[a-f0-9]{64})\s*$/m.exec(result.value)?.[1] ?? null;
    return { ok: true, value: digest };
  }

  /**
   * What docker knows of the local image a reference names: its RepoDigests (familiar names), build time
   * and labels, in one `docker image inspect`.
   */
  async inspectImage(reference: string, options: DockerCallOptions = {}): Promise<DockerOutcome<LocalImage>> {
    const format =
      '{"RepoDigests":{{json .RepoDigests}},"Created":{{json .Created}},"Labels":{{json .Config.Labels}},' +
      '"Platform":{"os":{{json .Os}},"architecture":{{json .Architecture}},' +
      '"variant":{{json .Variant}},"os.version":{{json .OsVersion}}}}';
    const result = await this.call(["image", "inspect", "--format", format, reference], options);
    if (!result.ok) return result;
    try {
      const parsed = JSON.parse(result.value) as {
        RepoDigests?: unknown;
        Created?: unknown;
        Labels?: unknown;
        Platform?: Record<string, unknown>;
      };
      return {
        ok: true,
        value: {
          repoDigests: Array.isArray(parsed.RepoDigests) ? parsed.RepoDigests.map(String) : [],
          created: buildTime(parsed.Created),
          labels: parsed.Labels ?? null,
          platform: parsed.Platform === undefined ? undefined : platformKey(parsed.Platform),
        },
      };
    } catch {
      return { ok: false, reason: "docker image inspect printed malformed JSON" };
    }
  }

  /** `docker manifest inspect`: the raw manifest or index JSON of a reference, read from the registry. */
  async manifest(
    reference: string,
    insecure: boolean,
    options: DockerCallOptions & { verbose?: boolean } = {},
  ): Promise<DockerOutcome<unknown>> {
    // -v prints what docker read rather than the manifest alone: a manifest's platform (from its config).
    const flags = [...(insecure ? ["--insecure"] : []), ...(options.verbose ? ["-v"] : [])];
    const args = ["manifest", "inspect", ...flags, reference];
    const result = await this.call(args, options);
    if (!result.ok) return result;
    try {
      return { ok: true, value: JSON.parse(result.value) };
    } catch {
      return { ok: false, reason: "docker manifest inspect printed malformed JSON" };
    }
  }

  private async call(args: string[], options: DockerCallOptions): Promise<DockerOutcome<string>> {
    const configArgs = options.configDir ? ["--config", options.configDir] : [];
    const result = await this.exec(this.binary, [...configArgs, ...args], {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      env: {
        // With content trust on, a pull reads the tag's last signed digest, which the kubelet does not: a pod
        // on a newer unsigned push would be judged stale.
        DOCKER_CONTENT_TRUST: undefined,
        DOCKER_CONTENT_TRUST_SERVER: undefined,
        // docker 28.3 and later read credentials from DOCKER_AUTH_CONFIG before --config's: with a config
        // chosen here (one pull secret, or none), the user's would be sent instead.
        ...(options.configDir ? { DOCKER_AUTH_CONFIG: undefined } : {}),
      },
    });
    // Stopped, what docker printed is not its answer, whatever its exit code: stopped at its login prompt
    // (a registry's 401), docker exits 0 having pulled nothing.
    if (result.interrupted) {
      // `image inspect`, `manifest inspect`: the subcommand and its verb.
      const what = `docker ${args[0] === "image" || args[0] === "manifest" ? args.slice(0, 2).join(" ") : args[0]}`;
      const why =
        options.signal?.aborted || result.killedFromOutside
          ? "was interrupted"
          : `did not finish within ${(options.timeoutMs ?? 0) / 1000}s`;
      return { ok: false, reason: `${what} ${why}`, interrupted: true };
    }
    if (result.exitCode === 0) return { ok: true, value: result.stdout };
    // docker warns first when it cannot read the user's config (root-owned after `sudo docker login`): its
    // error is the line after.
    const line =
      firstLine(result.stderr.replace(/^\s*WARNING:.*$/gm, "")) ||
      firstLine(result.stderr) ||
      `docker ${args[0]} exited ${result.exitCode}`;
    // docker quotes the URLs it fetched: a presigned blob URL's query is a key to the blob.
    return { ok: false, reason: withoutUrlSecrets(line.replace(/^Error response from daemon: /, "")) };
  }
}

/**
 * An image's build time as docker prints it, or null when the image states none: docker 25 and later
 * print "" for a config without `created`, earlier ones Go's zero time (moby/moby#47374).
 */
function buildTime(created: unknown): string | null {
  if (typeof created !== "string" || created === "" || created.startsWith("0001-01-01T00:00:00")) return null;
  return created;
}

/**
 * Whether a docker client of this version reads `$DOCKER_AUTH_CONFIG` (28.3 and later; GitLab CI sets it).
 * A version it does not print as one (a development build) is taken not to: its credentials then count for
 * nothing, and no pull is made that might be anonymous.
 */
export function readsAuthConfig(clientVersion: string): boolean {
  const [, major, minor] = /^(\d+)\.(\d+)\./.exec(clientVersion) ?? [];
  if (major === undefined || minor === undefined) return false;
  return Number(major) > 28 || (Number(major) === 28 && Number(minor) >= 3);
}
