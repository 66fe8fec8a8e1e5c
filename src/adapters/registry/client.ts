/**
 * Manifest requests to one registry API, authenticated like the kubelet pulls: the host's challenge is
 * learned once per run from `GET /v2/` (the API version check docker also makes; Docker Hub does not count
 * it), then each credential of the chain is tried in order until one is accepted. With no credential the
 * request is anonymous (an anonymous token for Bearer registries). A challenge is taken only from the
 * registry itself, never from another origin a redirect led to: the registry's credentials go nowhere else.
 */
import { type ImageRef, isDigest, registryApiHost } from "../../core/image-ref.js";
import type { Credential } from "../../core/keyring.js";
import { manifestAccept } from "../../core/manifest.js";
import { credentialSecrets, fingerprint } from "../credentials/secrets.js";
import { LoginTurnsByKey } from "../http/login-turns.js";
import { type Authenticator, detailOf } from "./auth.js";
import { isRetryableStatus } from "./retry-policy.js";
import { type Exchange, type HttpAnswer, redirectedOffOrigin, type Transport } from "./transport.js";
import { pullScope, type RegistryAuthScheme, registryAuthScheme } from "./www-authenticate.js";

/**
 * The registry's answer to a manifest request, or why access failed. `secrets`: what the accepted request
 * carried, to be blanked from any error body the registry echoes it in.
 */
export type ManifestAnswer =
  | { ok: true; answer: HttpAnswer; secrets: readonly (string | undefined)[] }
  | { ok: false; reason: string };

type HostAuth = { ok: true; auth: RegistryAuthScheme } | { ok: false; reason: string };

/** Manifest requests with the credential chain, one registry API per host. */
export class RegistryClient {
  private readonly hosts = new Map<string, Promise<HostAuth>>();
  /**
   * The fingerprint of the credential that worked for a repository, tried first next time (e.g. for the
   * GET after a HEAD).
   */
  private readonly workedWith = new Map<string, string>();
  /**
   * Passwords a registry of Basic auth turned down (401), by host and credential: not sent it again in the
   * run, each being one more failed login (an account behind it locks after a few). Their failure.
   */
  private readonly refusedBasic = new Map<string, string>();
  /** The turns of each Basic login (host and credential) until the registry first answers it. */
  private readonly basicTurns = new LoginTurnsByKey();

  constructor(
    private readonly transport: Transport,
    private readonly authenticator: Authenticator,
    /** Hosts reached over plain http: loopback and --insecure-registry. */
    private readonly isInsecure: (host: string) => boolean,
  ) {}

  /** `HEAD` or `GET /v2/<path>/manifests/<reference>` with the full Accept list. */
  manifest(
    method: "HEAD" | "GET",
    ref: ImageRef,
    reference: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<ManifestAnswer> {
    return this.request(method, ref, `manifests/${reference}`, credentials, signal);
  }

  /** `GET /v2/<path>/blobs/<digest>`: an image config (its platform, build time and labels). */
  blob(ref: ImageRef, digest: string, credentials: readonly Credential[], signal?: AbortSignal) {
    return this.request("BLOB", ref, `blobs/${digest}`, credentials, signal);
  }

  private async request(
    method: "HEAD" | "GET" | "BLOB",
    ref: ImageRef,
    resource: string,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<ManifestAnswer> {
    const host = registryApiHost(ref);
    const url = new URL(`${this.baseUrl(host)}/v2/${ref.path}/${resource}`);
    const byDigest = isDigest(resource.slice(resource.indexOf("/") + 1));
    const hostAuth = await this.hostAuth(host, signal);
    if (!hostAuth.ok) return hostAuth;
    // A registry given up on, or paused for long, is asked nothing: not even for a token (a login each).
    // By the transport's key, the URL's host: the image may write it otherwise (`REG.example`, `reg:443`).
    const refusal = this.transport.refusal(url.host);
    if (refusal !== null) return { ok: false, reason: refusal };

    const repository = `${host}/${ref.path}`;
    const chain: (Credential | null)[] = credentials.length > 0 ? [...credentials] : [null];
    // By its secrets: another image's chain may hold the same secret under another namespace's copy.
    const known = this.workedWith.get(repository);
    const first = known === undefined ? -1 : chain.findIndex((c) => fingerprint(c) === known);
    if (first > 0) chain.unshift(...chain.splice(first, 1));

    const failures: string[] = [];
    let hidden: (Exchange & { ok: true; secrets: (string | undefined)[] }) | undefined;
    // A credential the registry never answered (its token request got no answer): a 404 to another then
    // proves nothing missing, as the one that may see the repository was not heard. One turned down was.
    let unheard = false;
    const notFound = (who: string): ManifestAnswer => ({
      ok: false,
      reason: `not found (404) ${who}, and ${failures.join("; ")}: whether the registry has it is not known`,
    });
    for (const [index, credential] of chain.entries()) {
      const who = credential ? `with ${credential.source}` : "anonymous";
      let auth = hostAuth.auth;
      let scope = pullScope(ref.path);
      // A 401 earns one more try: with the challenge it names when that differs from what /v2/ said, or
      // with a new token when the refused one came from the cache.
      for (let round = 0; round < 2; round++) {
        const basicLogin = `${host}\n${fingerprint(credential)}`;
        // A Basic login is the request itself: until the registry has answered it once, the requests of other
        // repositories with it wait their turn, so a refused password is sent once, not once per repository.
        const settled =
          auth.scheme === "basic" && credential ? await this.basicTurns.of(basicLogin).enter() : () => {};
        let heard = false;
        try {
          const refusedBefore = auth.scheme === "basic" ? this.refusedBasic.get(basicLogin) : undefined;
          if (credential && refusedBefore) {
            failures.push(refusedBefore);
            break;
          }
          const authorization = await this.authenticator.authorize(auth, scope, credential, signal);
          if (!authorization.ok) {
            failures.push(`${authorization.reason} (${who})`);
            if (!authorization.refused) unheard = true;
            break;
          }
          const headers: Record<string, string> = { accept: method === "BLOB" ? "*/*" : manifestAccept };
          if (authorization.header) headers["authorization"] = authorization.header;
          const kind = method === "HEAD" ? "head" : method === "GET" ? "get" : "blob";
          const exchange: Exchange = await this.transport.request(
            kind,
            url,
            { method: method === "HEAD" ? "HEAD" : "GET", headers },
            signal,
          );
          // A 5xx or 429 says nothing of the login (its retries are the transport's): the next goes alone.
          heard = exchange.ok && !isRetryableStatus(exchange.answer.status);
          if (!exchange.ok) return exchange;
          const { status } = exchange.answer;
          // Every URL on the way: whoever answered one of them chose where the request went on to.
          const hops = [...exchange.answer.redirectedFrom, exchange.answer.url];
          // A tag's answer over plain http from a https registry (a redirect down, at any hop) could be
          // anyone's on the way; what is read by digest is checked against the digest.
          const plain = hops.find((hop) => hop.protocol === "http:");
          if (!byDigest && url.protocol === "https:" && plain) {
            return { ok: false, reason: `the registry redirected to plain http (${plain.host}): refused` };
          }
          // A refusal from where a redirect led (an object store) says nothing of this credential, and its
          // challenge names a realm the registry never did: answering it would hand the credential there. Nor
          // does a 404 from there (a regional backend behind the registry) say the registry lacks it, nor one
          // from the registry at a path another origin on the way sent it to.
          const elsewhere = redirectedOffOrigin(exchange.answer, url);
          if ((status === 401 || status === 403 || status === 404) && elsewhere !== null) {
            return { ok: false, reason: `the registry redirected to ${elsewhere}, which answered ${status}` };
          }
          const secrets = [authorization.header?.replace(/^\S+ /, ""), ...credentialSecrets(credential)];
          if (status !== 401 && status !== 403) {
            // A registry may hide what a credential may not see behind a 404 (Artifactory, some Harbor and
            // GitLab setups): the next credential is tried, as the kubelet tries each.
            if (status === 404 && index < chain.length - 1) {
              hidden = { ...exchange, secrets };
              break;
            }
            if (status === 404 && unheard) return notFound(who);
            if (status < 300) this.workedWith.set(repository, fingerprint(credential));
            return { ...exchange, secrets };
          }
          const challenge = registryAuthScheme(exchange.answer.headers.get("www-authenticate"));
          // Worth it only when the new challenge changes what is sent: not for Basic without a credential,
          // nor for a registry token (always sent as it is).
          const changes =
            challenge !== null &&
            !(challenge.scheme === "basic" && !credential) &&
            !credential?.registryToken;
          if (round === 0 && status === 401 && changes && !sameChallenge(challenge, auth)) {
            auth = challenge;
            if (challenge.scheme === "bearer" && challenge.scope) scope = challenge.scope;
            // Later requests to this host start from what its manifests asked for.
            this.hosts.set(host, Promise.resolve({ ok: true, auth: challenge }));
            continue;
          }
          if (round === 0 && status === 401 && authorization.forget) {
            authorization.forget();
            continue;
          }
          const detail = method === "HEAD" ? "" : detailOf(exchange.answer.body, secrets);
          const failure = `${status === 401 ? "401 unauthorized" : "403 forbidden"}${detail} (${who})`;
          failures.push(failure);
          if (status === 401 && auth.scheme === "basic" && credential)
            this.refusedBasic.set(basicLogin, failure);
          break;
        } finally {
          settled(heard);
        }
      }
    }
    // Not found with one credential, refused with the rest: the registry's answer, not a refusal.
    if (hidden) return unheard ? notFound("with one credential") : hidden;
    const none = credentials.length === 0 ? `; no credential matches ${ref.domain}` : "";
    // Denied only when every credential was heard and turned down: a token service that failed, timed out or
    // limited its rate said nothing of them.
    const outcome = unheard ? "could not get access" : "access denied";
    return { ok: false, reason: `${outcome}: ${failures.join("; ")}${none}` };
  }

  private baseUrl(host: string): string {
    return `${this.isInsecure(host) ? "http" : "https"}://${host}`;
  }

  /**
   * The host's challenge, from one `GET /v2/` per host and run (shared by concurrent callers). One that
   * failed (a 503 for a second, a timeout) is not kept: the next image asks again, rather than every image of
   * the registry failing for the run; a host that stays out of reach is given up on by the transport.
   */
  private hostAuth(host: string, signal?: AbortSignal): Promise<HostAuth> {
    let known = this.hosts.get(host);
    if (!known) {
      const asked = this.ping(host, signal);
      known = asked;
      this.hosts.set(host, asked);
      const forget = () => {
        if (this.hosts.get(host) === asked) this.hosts.delete(host);
      };
      asked.then((auth) => auth.ok || forget(), forget);
    }
    return known;
  }

  private async ping(host: string, signal?: AbortSignal): Promise<HostAuth> {
    const url = new URL(`${this.baseUrl(host)}/v2/`);
    const exchange = await this.transport.request("ping", url, { method: "GET" }, signal);
    if (!exchange.ok) return exchange;
    const { status, headers } = exchange.answer;
    // Another origin's challenge is not the host's (see request()): as for a 404, its manifests will tell.
    if (status === 401 && exchange.answer.url.origin !== url.origin)
      return { ok: true, auth: { scheme: "none" } };
    if (status === 401) {
      const auth = registryAuthScheme(headers.get("www-authenticate"));
      if (!auth)
        return { ok: false, reason: `${host} wants authentication of a kind this tool does not speak` };
      return { ok: true, auth };
    }
    if (status >= 500) return { ok: false, reason: `${host} answered ${status} to the API version check` };
    // 200, or a registry that does not serve /v2/ itself (404): the manifest requests will tell.
    return { ok: true, auth: { scheme: "none" } };
  }
}

function sameChallenge(a: RegistryAuthScheme, b: RegistryAuthScheme): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === "bearer" && b.scheme === "bearer") return a.realm === b.realm && a.service === b.service;
  return true;
}
