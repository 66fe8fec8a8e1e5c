/**
 * Resolves tags by pulling them with docker, once per unique reference, with the
 * pods' pull secrets handed over in a private --config directory rather than by `docker login`.
 */
import { formatImageRef, type ImageRef, parseRepository, repositoryOf } from "../core/image-ref.js";
import type { Credential } from "../core/keyring.js";
import { manifestInfo, platformKey, stringLabels } from "../core/manifest.js";
import type { ImageDescription, ManifestInfo, TagResolution } from "../core/resolution.js";
import { ToolFailedError } from "../errors.js";
import { Limiter } from "../util/limiter.js";
import {
  type DockerEngineChoice,
  writeDockerConfig,
  writeEmptyDockerConfig,
} from "./credentials/private-docker-config.js";
import {
  credentialSecrets,
  fingerprint,
  redactSecrets,
  withoutAuthorizationValues,
} from "./credentials/secrets.js";
import { type Docker, readsAuthConfig } from "./docker.js";
import { removePrivateDir } from "./private-dir.js";
import type { Resolver } from "./resolver.js";
import { withoutDocker } from "./resolver.js";

export interface DockerResolverOptions {
  /**
   * Hosts reached over plain http (loopback, --insecure-registry): docker manifest inspect needs --insecure.
   */
  isInsecure: (host: string) => boolean;
  pullTimeoutMs: number;
  /**
   * The user's own docker config comes after the pull secrets in the credential chain (docker itself reads
   * it, helpers included: nothing of it is copied). False (--no-local-credentials): an empty config instead.
   */
  userConfig: boolean;
  /** The user's docker context, which the private configs keep. */
  engine: DockerEngineChoice;
  /**
   * The user's own credentials for a registry, as docker finds them (a credential helper asked): docker may
   * quote them back in an error, so they are blanked there; and after pull secrets, the config is tried only
   * when it has one. Asked only once a call failed; `$DOCKER_AUTH_CONFIG`'s only when this docker reads it.
   */
  userCredentials?: (domain: string, readsAuthConfig: boolean) => Promise<readonly Credential[]>;
  /**
   * docker manifest reads at once (--concurrency): an older index of many platforms asks for two of each
   * platform's manifests in one round, a docker process and registry round trip each. 4 when not given.
   */
  manifestReads?: number;
}

/**
 * docker's words for a tag with no image for its own platform (classic store, then containerd's); a Windows
 * engine names its OS build after the platform.
 */
const noImageForEngine =
  /no matching manifest for .+? in the manifest list entries|no match for platform in manifest/;
/**
 * docker's words for a tag the registry does not have: its manifest, or its whole repository (the classic
 * store's `repository … not found: name unknown`), then the containerd store's.
 */
const tagNotFound =
  /\bmanifest unknown\b|\brepository \S+ not found: name unknown\b|^failed to resolve reference "[^"]+": .*: not found$/;

/** Go's words for a registry that answered https with plain http. */
const plainHttpAnswer = /server gave HTTP response to HTTPS client/;

/** How long a pull waits for the first pull with the same pull secret on its registry, at most. */
const firstAnswerWaitMs = 10_000;

/** Whether `promise` settles within `ms`. */
async function endsWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** docker's words for a registry or token server that turned a login down (or found it wanting). */
const loginTurnedDown = /\bunauthorized\b|incorrect username or password|authentication required/i;

export class DockerResolver implements Resolver {
  readonly name = "docker" as const;
  /** One private config directory per credential and registry host. */
  private readonly configDirs = new Map<Credential, Map<string, string>>();
  /**
   * The config that worked for a pull from a repository (undefined: the user's own), so reading that
   * repository's manifests by digest uses the same credential.
   */
  private readonly workedWith = new Map<string, string | undefined>();
  /**
   * By registry host, the pull secrets it turned down in this run: tried after the others there, so a
   * secret left behind by a rotation (`[regcred-old, regcred]`) is one failed login, not one per image,
   * which a directory behind the registry counts towards locking the account. Still tried last: it may be
   * the only one some repository allows.
   */
  private readonly turnedDown = new Map<string, Set<string>>();
  /**
   * By host and pull secret, its first pull while it is under way: the pulls that would start with the same
   * secret wait for it, so one turned down is sent once, not by every pull started at once.
   */
  private readonly firstPulls = new Map<string, Promise<void>>();
  /** Host and pull secret pairs whose first pull has ended. */
  private readonly pulledWith = new Set<string>();
  /** What docker says of each pulled reference's image (this machine's platform). */
  private readonly pulled = new Map<string, ImageDescription>();
  /**
   * Each pull's digest (`repository@digest`) and the platform of the image docker pulled with it, which is
   * that manifest's own when it names one image (see inspectManifest).
   */
  private readonly pulledPlatforms = new Map<string, string | null>();

  private readonly manifestReads: Limiter;

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerResolverOptions,
  ) {
    this.manifestReads = new Limiter(options.manifestReads ?? 4);
  }

  private engine?: Promise<void>;
  /** Whether this docker client reads `$DOCKER_AUTH_CONFIG`: known once its engine answered. */
  private readsAuthConfig = false;

  async resolveTag(
    ref: ImageRef,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<TagResolution> {
    this.engine ??= this.checkEngine(signal);
    await this.engine;
    const reference = formatImageRef(ref);
    // Like the kubelet, try every matching credential in turn; then the user's own docker config (null),
    // after pull secrets only when it holds a credential for the registry: the kubelet never pulls
    // anonymously once a pull secret matched, and a new pod would fail where an anonymous pull worked.
    const attempts: (Credential | null)[] = this.inTurn(ref.domain, credentials);
    if (this.options.userConfig) attempts.push(null);
    const failures: string[] = [];
    // Whether every pull was told the tag is not there: then no new pod could pull it either.
    let notFound = true;
    let timedOut = false;
    // --pull-timeout is one image's: the credentials tried in turn share it.
    const deadline = Date.now() + this.options.pullTimeoutMs;
    const tried = attempts.length > 0 ? attempts : [undefined];
    // Whether the user's config counts after pull secrets, its helper asked only once they all failed, with
    // time left: it may prompt, or call a cloud.
    let userConfigCounts: boolean | undefined = credentials.length === 0 ? true : undefined;
    const counts = async (c: Credential | null | undefined): Promise<boolean> => {
      if (c !== null) return true;
      userConfigCounts ??= await this.userHasCredential(ref.domain);
      return userConfigCounts;
    };
    for (let index = 0; index < tried.length; index++) {
      if (Date.now() < deadline && !(await counts(tried[index]))) break;
      // A pull secret's first pull on the host, claimed, or one under way waited for (it may be turned down,
      // and another secret take its place).
      const turn = tried[index]
        ? await this.firstPullTurn(ref.domain, tried, index, deadline)
        : { waited: false };
      const firstPull = turn.claim;
      const credential = tried[index];
      // Taken after the helper and the wait, which may have used some of it.
      const left = index === 0 && !turn.waited ? this.options.pullTimeoutMs : deadline - Date.now();
      if (left <= 0) {
        firstPull?.(false);
        const untried = tried
          .slice(index)
          .filter((c) => c !== null || userConfigCounts === true)
          .map((c) => (c ? c.source : "your docker config"));
        if (untried.length > 0) {
          failures.push(`--pull-timeout was spent before ${untried.join(", ")} could be tried`);
          notFound = false;
        }
        break;
      }
      let configDir: string | undefined;
      let pulled: Awaited<ReturnType<Docker["pull"]>>;
      // Whether the registry answered the pull (not killed, not stopped): only then was the secret heard.
      let answered = false;
      try {
        // undefined: no credential at all (--no-local-credentials and no pull secret), an empty config.
        configDir =
          credential === undefined
            ? this.emptyConfigDir()
            : credential
              ? this.configDirFor(ref, credential)
              : undefined;
        pulled = await this.docker.pull(reference, { configDir, signal, timeoutMs: left });
        answered = pulled.ok || !pulled.interrupted;
        if (credential && !pulled.ok && loginTurnedDown.test(pulled.reason))
          this.turnDown(ref.domain, credential);
      } finally {
        // After turnDown: the pulls waiting for this one then try the secret last.
        firstPull?.(answered);
      }
      if (!pulled.ok) {
        notFound &&= !pulled.interrupted && tagNotFound.test(pulled.reason);
        const who = credential
          ? ` (with ${credential.source})`
          : credential === null && credentials.length > 0
            ? " (with your docker config)"
            : "";
        const rest = left < this.options.pullTimeoutMs && pulled.interrupted && !signal?.aborted;
        // A registry or token server may echo the request in its error, and docker quotes it.
        const said = await this.redactedAfter(pulled.reason, configDir, ref.domain);
        failures.push(`${said}${rest ? ", what was left of --pull-timeout" : ""}${who}`);
        // An interrupted pull is no verdict on the credential: the next one is not tried. Nor after a
        // timeout: --pull-timeout is one image's, not each credential's.
        // A whole --pull-timeout without an answer: another credential would wait as long.
        timedOut = pulled.interrupted === true && !signal?.aborted && left === this.options.pullTimeoutMs;
        if (signal?.aborted || pulled.interrupted) break;
        // The tag was read, and has no image for the engine's platform (an arm64 laptop, an amd64 cluster):
        // no other credential changes that, and each would read the tag again.
        if (noImageForEngine.test(pulled.reason)) {
          failures.push(
            "the tag has no image for this docker engine's platform: --resolver registry reads it",
          );
          break;
        }
        continue;
      }
      this.workedWith.set(repositoryOf(ref), configDir);
      const digest = pulled.value;
      if (digest === null) return { ok: false, reason: "docker pull printed no digest" };
      // By the digest pulled, not the tag: on a shared engine the tag may name another image by now.
      const inspected = await this.docker.inspectImage(`${repositoryOf(ref)}@${digest}`, {
        signal,
        timeoutMs: this.options.pullTimeoutMs,
      });
      if (!inspected.ok) return { ok: false, reason: `pulled, but ${inspected.reason}` };
      const { created, labels } = inspected.value;
      this.pulled.set(reference, { ok: true, created, labels: stringLabels(labels) });
      const digests = digestsOfRepository(inspected.value.repoDigests, repositoryOf(ref));
      const { platform } = inspected.value;
      if (platform !== undefined) this.pulledPlatforms.set(`${repositoryOf(ref)}@${digest}`, platform);
      return {
        ok: true,
        tag: { digest, sameImageDigests: digests.filter((d) => d !== digest), isIndex: null },
      };
    }
    const reason = `pull failed: ${failures.join("; ")}`;
    if (timedOut) return { ok: false, reason, unanswered: true };
    return notFound && failures.length > 0 ? { ok: false, reason, missing: true } : { ok: false, reason };
  }

  /**
   * Before the pull with `tried[index]`, a pull secret: one the host turned down goes after the secrets still
   * to try, where one of them is not; where another pull's first with it on `host` is under way, waits for
   * it (10 s at most: a login turned down is told within seconds; a pull that downloads, or a registry that
   * does not answer, is not waited for longer), then looks again. Where no pull with it came before, claims
   * the first: `claim()` ends the claim once the pull has ended.
   */
  private async firstPullTurn(
    host: string,
    tried: (Credential | null | undefined)[],
    index: number,
    deadline: number,
  ): Promise<{ claim?: (answered: boolean) => void; waited: boolean }> {
    let waited = false;
    for (;;) {
      const credential = tried[index];
      if (!credential) return { waited };
      if (this.movedBack(host, tried, index)) continue;
      const key = `${host}\n${fingerprint(credential)}`;
      const underWay = this.firstPulls.get(key);
      if (underWay) {
        waited = true;
        // Within the image's --pull-timeout too.
        const wait = Math.min(firstAnswerWaitMs, deadline - Date.now());
        if (wait <= 0 || !(await endsWithin(underWay, wait))) return { waited };
        continue;
      }
      if (this.pulledWith.has(key)) return { waited };
      // The first pull with it: claimed here, with no wait between the look and the claim.
      let end = () => {};
      this.firstPulls.set(key, new Promise<void>((resolve) => (end = resolve)));
      // A first pull the registry did not answer (killed, stopped, never run) leaves the next one first.
      const claim = (answered: boolean) => {
        if (answered) this.pulledWith.add(key);
        this.firstPulls.delete(key);
        end();
      };
      return { claim, waited };
    }
  }

  /** Whether `tried[index]`, turned down by `host`, went after the secrets still to try (one is not). */
  private movedBack(host: string, tried: (Credential | null | undefined)[], index: number): boolean {
    const down = this.turnedDown.get(host);
    const credential = tried[index];
    if (!down || !credential || !down.has(fingerprint(credential))) return false;
    const secrets = tried.filter((c, at) => at > index && c) as Credential[];
    if (!secrets.some((c) => !down.has(fingerprint(c)))) return false;
    tried.splice(index, 1);
    tried.splice(index + secrets.length, 0, credential);
    return true;
  }

  /** The pull secrets in the order to try them on `host`: those it turned down in this run last. */
  private inTurn(host: string, credentials: readonly Credential[]): Credential[] {
    const down = this.turnedDown.get(host);
    if (!down) return [...credentials];
    const refused = (c: Credential) => down.has(fingerprint(c));
    return [...credentials.filter((c) => !refused(c)), ...credentials.filter(refused)];
  }

  private turnDown(host: string, credential: Credential): void {
    const down = this.turnedDown.get(host) ?? new Set<string>();
    down.add(fingerprint(credential));
    this.turnedDown.set(host, down);
  }

  async inspectManifest(
    ref: ImageRef,
    digest: string,
    credentials: readonly Credential[],
    { platform: withPlatform = false, signal }: { platform?: boolean; signal?: AbortSignal } = {},
  ): Promise<ManifestInfo> {
    const reference = `${repositoryOf(ref)}@${digest}`;
    const pulledPlatform = this.pulledPlatforms.get(reference);
    if (pulledPlatform !== undefined) {
      // The tag's own manifest. When a plain read shows that it names one image, that is the image docker
      // pulled and inspected: its platform is known, and asking for it then costs no second manifest read
      // (a GET that Docker Hub counts against the pull limit).
      const plain = this.readManifest(ref, reference, credentials, false, signal);
      if (!withPlatform) return plain;
      const info = await plain;
      if (info.ok && !info.isIndex) return { ...info, platform: pulledPlatform };
      // An index states its children's platforms, as the verbose read would: not read again.
      if (info.ok) return info;
    }
    return this.readManifest(ref, reference, credentials, withPlatform, signal);
  }

  private async readManifest(
    ref: ImageRef,
    reference: string,
    credentials: readonly Credential[],
    withPlatform: boolean,
    signal: AbortSignal | undefined,
  ): Promise<ManifestInfo> {
    const configDir = this.configForReading(ref, credentials);
    // Tags of one repository may need the same manifest, read with the same config: one answer, a failure
    // too (the pipeline asks again after a failure, for readers whose credentials differ).
    const key = `${reference} ${withPlatform} ${configDir ?? ""}`;
    let read = this.manifestsRead.get(key);
    if (!read) {
      read = this.readManifestWith(ref, reference, configDir, withPlatform, signal);
      this.manifestsRead.set(key, read);
    }
    return read;
  }

  /** Manifests read, by reference, form (plain or -v) and the config read with. */
  private readonly manifestsRead = new Map<string, Promise<ManifestInfo>>();

  private async readManifestWith(
    ref: ImageRef,
    reference: string,
    configDir: string | undefined,
    withPlatform: boolean,
    signal: AbortSignal | undefined,
  ): Promise<ManifestInfo> {
    // The pull's bound holds here too: docker's registry client has no timeout of its own for an answer.
    const timeoutMs = this.options.pullTimeoutMs;
    // -v, when the platform matters, reads what the plain form reads (a manifest's config, an index's
    // children and theirs) and prints the platform beside the manifest: one call rather than two.
    const manifest = await this.manifestReads.run(() =>
      this.docker.manifest(reference, this.options.isInsecure(ref.domain), {
        configDir,
        signal,
        timeoutMs,
        verbose: withPlatform,
      }),
    );
    // Never `missing`: docker's words do not prove the registry lost the manifest (see notFoundReason).
    if (!manifest.ok) {
      const reason = await this.redactedAfter(manifest.reason, configDir, ref.domain);
      // docker's own client reads manifests: the engine's insecure-registries, which let the pull through,
      // are not its.
      const advice = plainHttpAnswer.test(reason) ? " (pass --insecure-registry HOST[:PORT])" : "";
      return { ok: false, reason: `${notFoundReason(reason)}${advice}` };
    }
    return withPlatform ? verboseManifestInfo(manifest.value) : manifestInfo(manifest.value);
  }

  /**
   * The image the tag was pulled as, as docker inspected it right after the pull: this machine's platform
   * of the tag, which for a multi-arch tag may not be the nodes' (one build: its labels and time agree).
   */
  async describeImage(ref: ImageRef): Promise<ImageDescription> {
    return this.pulled.get(formatImageRef(ref)) ?? { ok: false, reason: "not pulled" };
  }

  /** A stopped engine is one clear error, not a plan where every image is unknown. */
  private async checkEngine(signal?: AbortSignal): Promise<void> {
    const answer = await this.docker.ping(signal);
    if (!answer.ok) {
      throw new ToolFailedError(`docker cannot reach its engine: ${answer.reason} (or ${withoutDocker})`);
    }
    this.readsAuthConfig = readsAuthConfig(answer.value);
  }

  /**
   * The config to read a repository's manifests with: the one its pull worked with; for a repository not
   * pulled (one a node names), the first of its matching pull secrets, else the user's config (or none, with
   * --no-local-credentials).
   */
  private configForReading(ref: ImageRef, credentials: readonly Credential[]): string | undefined {
    const repository = repositoryOf(ref);
    if (this.workedWith.has(repository)) return this.workedWith.get(repository);
    // Not one the registry turned down: it would be one more failed login, and the read would fail.
    const first = this.inTurn(ref.domain, credentials)[0];
    if (first) return this.configDirFor(ref, first);
    return this.options.userConfig ? undefined : this.emptyConfigDir();
  }

  private emptyConfig?: string;

  /** Removes the private configs now rather than at exit: apply's restarts can take many minutes. */
  close(): void {
    for (const byHost of this.configDirs.values()) for (const dir of byHost.values()) removePrivateDir(dir);
    this.configDirs.clear();
    this.workedWith.clear();
    this.manifestsRead.clear();
    if (this.emptyConfig) removePrivateDir(this.emptyConfig);
    this.emptyConfig = undefined;
  }

  private emptyConfigDir(): string {
    this.emptyConfig ??= writeEmptyDockerConfig(this.options.engine);
    return this.emptyConfig;
  }

  /**
   * docker's error with every pull secret this run gave docker blanked (a manifest is read with the config
   * another image's pull worked with, so its secrets need not be among the ones the reader was given), and
   * those of the user's own docker config.
   */
  private redacted(text: string, own: readonly (string | undefined)[] = []): string {
    const given = [...this.configDirs.keys()].flatMap(credentialSecrets);
    // In one pass: a secret inside another (a password and the same with a suffix) blanked first would
    // leave the longer one unfound, its rest showing.
    return withoutAuthorizationValues(
      redactSecrets(text, [...given, ...(this.options.engine.authSecrets ?? []), ...own]),
    );
  }

  /**
   * docker's error after a call made with `configDir`, redacted; made with the user's own config (undefined),
   * the credential docker found there for `domain` is blanked too (a helper's, which no file holds).
   */
  private async redactedAfter(text: string, configDir: string | undefined, domain: string): Promise<string> {
    const { userCredentials } = this.options;
    const own =
      configDir === undefined && userCredentials
        ? await userCredentials(domain, this.readsAuthConfig).catch(() => [])
        : [];
    return this.redacted(text, own.flatMap(credentialSecrets));
  }

  private async userHasCredential(domain: string): Promise<boolean> {
    const found = (await this.options.userCredentials?.(domain, this.readsAuthConfig).catch(() => [])) ?? [];
    return found.length > 0;
  }

  private configDirFor(ref: ImageRef, credential: Credential): string {
    let byHost = this.configDirs.get(credential);
    if (!byHost) {
      byHost = new Map();
      this.configDirs.set(credential, byHost);
    }
    let dir = byHost.get(ref.domain);
    if (!dir) {
      dir = writeDockerConfig(ref.domain, credential, this.options.engine);
      byHost.set(ref.domain, dir);
    }
    return dir;
  }
}

/**
 * docker's manifest inspect says "no such manifest" once every registry endpoint answered an error it skips
 * to the next: the registry not having the manifest, but also a refused login, an unknown repository, an
 * HTML 429 or 403 page (docker before 25), and for an index, one of its children gone. Only its --debug
 * lines tell these apart, in Go type names and log text that are no interface; so the failure is shown as
 * docker said it, and says what it may mean.
 */
function notFoundReason(reason: string): string {
  if (!/^no such manifest\b/.test(reason)) return reason;
  return `${reason} (docker says this of a deleted manifest, a refused login and an error page alike; --resolver registry tells them apart)`;
}

/** An entry of `docker manifest inspect -v`'s answer: one manifest as docker read it. */
interface VerboseManifest {
  /** The manifest's digest, and its platform: the index's word for a child, else what its config states. */
  Descriptor?: { digest?: unknown; platform?: Record<string, unknown> };
  SchemaV2Manifest?: unknown;
  /** Since docker 23, for an OCI manifest (docker before 23 cannot read one at all). */
  OCIManifest?: unknown;
}

/**
 * `docker manifest inspect -v`'s answer: a list of an index's children, or one manifest with its platform.
 */
function verboseManifestInfo(value: unknown): ManifestInfo {
  if (Array.isArray(value)) {
    return manifestInfo({
      manifests: (value as (VerboseManifest | null)[]).map((child) => child?.Descriptor),
    });
  }
  const { Descriptor, SchemaV2Manifest, OCIManifest } = (value ?? {}) as VerboseManifest;
  const manifest = SchemaV2Manifest ?? OCIManifest;
  if (manifest === undefined) return { ok: false, reason: "docker manifest inspect -v printed no manifest" };
  const info = manifestInfo(manifest);
  return info.ok && !info.isIndex ? { ...info, platform: platformKey(Descriptor?.platform) } : info;
}

/** Digests in RepoDigests (`nginx@sha256:…`, familiar names) that belong to `repository`. */
export function digestsOfRepository(repoDigests: readonly string[], repository: string): string[] {
  const digests: string[] = [];
  for (const entry of repoDigests) {
    const at = entry.lastIndexOf("@");
    if (at === -1) continue;
    try {
      if (parseRepository(entry.slice(0, at)) === repository) digests.push(entry.slice(at + 1));
    } catch {
      // An unreadable entry names no repository of ours.
    }
  }
  return digests;
}
