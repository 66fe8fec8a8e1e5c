/**
 * Bearer tokens by realm, service, scope and credential, kept until they expire (a few seconds early), and
 * shared while being fetched, so concurrent requests for one repository cost one token request. Failures
 * are not kept: the next credential of the chain has its own key anyway.
 */

/** A token and its lifetime (`cached`: not fetched for this request), or why the token server refused. */
export type TokenAnswer =
  | { ok: true; token: string; expiresInSeconds: number; cached?: boolean }
  /** `refused`: the token server heard the credential and said no (401, 403); `loginRefused`: a 401. */
  | { ok: false; reason: string; refused?: true; loginRefused?: true };

/** Tokens are dropped this long before they expire, for clock skew and request time. */
const earlyMs = 5_000;

/** Tokens by key until they expire; concurrent fetches of one key are shared. */
export class TokenCache {
  private readonly entries = new Map<string, { token: string; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<TokenAnswer>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A cached token, or the answer of `fetchToken` (shared with concurrent callers of the same key). */
  async get(key: string, fetchToken: () => Promise<TokenAnswer>): Promise<TokenAnswer> {
    const cached = this.entries.get(key);
    if (cached && this.now() < cached.expiresAt) {
      return {
        ok: true,
        token: cached.token,
        expiresInSeconds: (cached.expiresAt - this.now()) / 1000,
        cached: true,
      };
    }
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const started = this.now();
    // Shared while in flight only: a fetch that failed, even by throwing, is not the answer for later asks.
    const promise = fetchToken().then(
      (answer) => {
        this.pending.delete(key);
        if (answer.ok) {
          this.entries.set(key, {
            token: answer.token,
            expiresAt: started + answer.expiresInSeconds * 1000 - earlyMs,
          });
        }
        return answer;
      },
      (error: unknown) => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, promise);
    return promise;
  }

  /** Drops a token the registry refused before it expired (revoked, or a server with another clock). */
  forget(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }
}
