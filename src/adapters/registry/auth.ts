/**
 * The Authorization header for one registry request, from the registry's challenge and one credential of
 * the chain (distribution docs/spec/auth/token.md, oauth.md; docker/cli and containerd behave alike):
 * - Bearer: a token from the challenge's realm for its service and the repository's pull scope — anonymous,
 *   with Basic credentials (GET), or with an identity token (OAuth2 POST grant_type=refresh_token); a
 *   registry token is itself the Bearer token. Tokens are cached per realm/service/scope/credential.
 * - Basic: the username and password.
 * Credentials never leave memory, and are never sent over plain http except to hosts that are allowed it.
 */
import type { Credential } from "../../core/keyring.js";
import { basicCredentials, credentialSecrets, fingerprint, redactSecrets } from "../credentials/secrets.js";
import { LoginTurnsByKey } from "../http/login-turns.js";
import type { TokenAnswer, TokenCache } from "./token-cache.js";
import { redirectedOffOrigin, type Transport } from "./transport.js";
import type { RegistryAuthScheme } from "./www-authenticate.js";

/**
 * The header to send (null: none), or why this credential cannot be used. `forget`: the header carries a
 * cached token; call it when the registry refuses that token, so the next authorize() fetches a new one.
 * `refused`: the credential was heard and turned down (the token server's 401 or 403), or cannot be used at
 * all; otherwise what it would have been told is not known (a token server that did not answer, say).
 */
export type Authorization =
  | { ok: true; header: string | null; forget?: () => void }
  | { ok: false; reason: string; refused?: true };

/** docker's minimumTokenLifetimeSeconds: shorter (or missing) lifetimes count as 60 s. */
const minimumLifetimeSeconds = 60;
const clientId = "kubectl-autoupdate";

/** Turns a challenge and a credential into an Authorization header, fetching tokens as needed. */
export class Authenticator {
  /** Logins a token service turned down, by realm, service and credential: their answer. */
  private readonly refusedLogins = new Map<string, Authorization & { ok: false }>();
  /** The turns of each login (realm, service and credential) until its token service first answers it. */
  private readonly loginTurns = new LoginTurnsByKey();

  constructor(
    private readonly transport: Transport,
    private readonly tokens: TokenCache,
    /** Hosts that may receive credentials over plain http (loopback, --insecure-registry). */
    private readonly allowsHttp: (host: string) => boolean,
  ) {}

  async authorize(
    auth: RegistryAuthScheme,
    scope: string,
    credential: Credential | null,
    signal?: AbortSignal,
  ): Promise<Authorization> {
    if (credential?.registryToken) return { ok: true, header: `Bearer ${credential.registryToken}` };
    if (auth.scheme === "none") return { ok: true, header: null };
    if (auth.scheme === "basic") {
      if (!credential) return { ok: true, header: null };
      if (credential.username === undefined || credential.password === undefined) {
        return {
          ok: false,
          reason: "the registry wants a username and password; this credential has none",
          refused: true,
        };
      }
      return { ok: true, header: basic(credential.username, credential.password) };
    }
    let realm: URL;
    try {
      realm = new URL(auth.realm);
    } catch {
      return { ok: false, reason: `the registry's token realm "${auth.realm}" is not a URL` };
    }
    if (realm.protocol !== "https:" && realm.protocol !== "http:") {
      return { ok: false, reason: `the registry's token realm "${auth.realm}" is not http(s)` };
    }
    // A URL drops http's default port, which --insecure-registry may name (`reg.example:80`).
    const httpAllowed =
      this.allowsHttp(realm.host) || (realm.port === "" && this.allowsHttp(`${realm.host}:80`));
    if (credential && realm.protocol === "http:" && !httpAllowed) {
      return { ok: false, reason: `refusing to send credentials over plain http to ${realm.host}` };
    }
    // A login the token service turned down (401: a password wrong or expired) is not tried again in the
    // run, for any repository: each would be one more failed login, and a directory behind the registry
    // (LDAP, AD) locks the account after a few. A 403 is the scope's: another repository may be allowed.
    // Until the service has answered the login once, other repositories' requests for it wait their turn.
    const login = [auth.realm, auth.service ?? "", fingerprint(credential)].join("\n");
    const settled = credential ? await this.loginTurns.of(login).enter() : () => {};
    const key = [auth.realm, auth.service ?? "", scope, fingerprint(credential)].join("\n");
    let heard = false;
    let answer: TokenAnswer;
    try {
      const refusedLogin = credential ? this.refusedLogins.get(login) : undefined;
      if (refusedLogin) return refusedLogin;
      answer = await this.tokens.get(key, () =>
        this.fetchToken(realm, auth.service, scope, credential, signal),
      );
      heard = answer.ok || answer.refused === true;
      if (!answer.ok && credential && answer.loginRefused) this.refusedLogins.set(login, answer);
    } finally {
      settled(heard);
    }
    if (!answer.ok) return answer;
    const header = `Bearer ${answer.token}`;
    return answer.cached
      ? { ok: true, header, forget: () => this.tokens.forget(key, answer.token) }
      : { ok: true, header };
  }

  private async fetchToken(
    realm: URL,
    service: string | null,
    scope: string,
    credential: Credential | null,
    signal?: AbortSignal,
  ): Promise<TokenAnswer> {
    const url = new URL(realm);
    let exchange: Awaited<ReturnType<Transport["request"]>>;
    if (credential?.identityToken) {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: credential.identityToken,
      });
      if (service) form.set("service", service);
      form.set("scope", scope);
      form.set("client_id", clientId);
      exchange = await this.transport.request(
        "token",
        url,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
        },
        signal,
      );
    } else {
      if (service) url.searchParams.set("service", service);
      url.searchParams.set("scope", scope);
      const headers: Record<string, string> = {};
      if (credential) {
        if (credential.username === undefined || credential.password === undefined) {
          return { ok: false, reason: "credential has neither a password nor a token", refused: true };
        }
        headers["authorization"] = basic(credential.username, credential.password);
      }
      exchange = await this.transport.request("token", url, { method: "GET", headers }, signal);
    }
    if (!exchange.ok) return { ok: false, reason: `token server: ${exchange.reason}` };
    const { status, body } = exchange.answer;
    // A redirect to another origin (a realm on http sent to https, another host) was followed without the
    // credential: a refusal from there is not this credential's, nor a login to count as failed.
    const elsewhere = status === 200 ? null : redirectedOffOrigin(exchange.answer, realm);
    if (elsewhere !== null) {
      return {
        ok: false,
        reason: `token server ${realm.host} redirected to ${elsewhere}, which answered ${status}`,
      };
    }
    if (status !== 200) {
      const secrets = credentialSecrets(credential);
      const reason = `token server ${realm.host} answered ${status}${detailOf(body, secrets)}`;
      if (status === 401) return { ok: false, reason, refused: true, loginRefused: true };
      return status === 403 ? { ok: false, reason, refused: true } : { ok: false, reason };
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown } | null;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return { ok: false, reason: `token server ${realm.host} answered something that is not JSON` };
    }
    // JSON, but no object: `null`, a string, a list.
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return { ok: false, reason: `token server ${realm.host} answered no token` };
    }
    // Where both are sent the spec leaves the choice open; containerd and docker take access_token.
    const token =
      typeof parsed.access_token === "string" && parsed.access_token ? parsed.access_token : parsed.token;
    if (typeof token !== "string" || token === "") {
      return { ok: false, reason: `token server ${realm.host} answered no token` };
    }
    const expires = typeof parsed.expires_in === "number" ? parsed.expires_in : 0;
    return { ok: true, token, expiresInSeconds: Math.max(minimumLifetimeSeconds, expires) };
  }
}

function basic(username: string, password: string): string {
  return `Basic ${basicCredentials(username, password)}`;
}

/**
 * `: <message>` from a token server's or registry's error body, one short line. A server that echoes the
 * request (a misconfigured proxy, a debug page) could echo its credential: each of `secrets` (as sent, and
 * a user:password pair as Basic sends it) is blanked out before anything is kept.
 */
export function detailOf(body: Buffer, secrets: readonly (string | undefined)[] = []): string {
  // Before and after parsing: JSON may escape a secret's characters (Go writes & < > as \u0026…).
  const blank = (text: string): string => redactSecrets(text, secrets);
  const text = blank(body.toString("utf8").trim());
  if (text === "") return "";
  let message = "";
  try {
    const parsed = JSON.parse(text) as {
      errors?: { code?: string; message?: string }[];
      details?: string;
      error_description?: string;
      error?: string;
      message?: string;
    };
    const first = parsed.errors?.[0];
    message = first
      ? [first.code, first.message].filter(Boolean).join(": ")
      : (parsed.details ?? parsed.error_description ?? parsed.error ?? parsed.message ?? "");
  } catch {
    message = text.startsWith("<") ? "" : text;
  }
  const line = blank(String(message)).split("\n")[0]!.trim();
  return line === "" ? "" : `: ${line.length > 160 ? `${line.slice(0, 157)}...` : line}`;
}
