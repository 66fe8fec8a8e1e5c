/**
 * A proxy's login, shared by every request sent through that proxy, tunnelled (https) or whole (plain http).
 * A proxy that refuses it is sent it once, not once per request at once: a directory-backed proxy locks the
 * account after a few failed logins. So until the proxy first answers a request carrying the login, the
 * others wait, each then asks for itself; after a refusal (407) none is sent.
 */
import { LoginTurns } from "./login-turns.js";
import type { ProxyError } from "./proxy-tunnel.js";

/** How long requests wait for the proxy's first answer to its login before asking for themselves. */
const loginAnswerMs = 2000;

export class ProxyLogin {
  /** The proxy's refusal of the login: every later request fails with it, and none is sent. */
  refusal: ProxyError | null = null;
  // The others wait for the answer only so long: a proxy checks a login before it reaches the host, so one
  // slow to answer took it and waits on the host, which must not hold every other host's request.
  private readonly turns = new LoginTurns(loginAnswerMs);

  /** `sendsLogin`: whether requests carry a login at all; one that does not need not wait. */
  constructor(readonly sendsLogin: boolean) {}

  /**
   * Runs `ask` in its turn: at once when no login is sent or the proxy took it, else after the request
   * before it was answered. `ask` calls `settled` once its request was answered (`true`: any answer from
   * the proxy), or failed without one; a refusal is set in `refusal` before then. After a refusal the
   * requests still go one at a time, each refused at once.
   */
  turn(ask: (settled: (answered: boolean) => void) => void): void {
    if (!this.sendsLogin) {
      ask(() => {});
      return;
    }
    this.turns.turn((settled) => ask((answered) => settled(answered && !this.refusal)));
  }

  /** `send` in its turn, as turn says; refused at once, without sending, once the proxy refused the login. */
  send<T>(send: () => Promise<T>, refused: (refusal: ProxyError) => Error): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.turn((settled) => {
        if (this.refusal) {
          settled(true);
          reject(refused(this.refusal));
          return;
        }
        send().then(
          (value) => {
            settled(true);
            resolve(value);
          },
          (error: unknown) => {
            settled(false);
            reject(error);
          },
        );
      }),
    );
  }
}
