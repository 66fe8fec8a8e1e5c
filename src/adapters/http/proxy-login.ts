/**
 * A proxy's login, shared by every request sent through that proxy, tunnelled (https) or whole (plain http).
 * A proxy that refuses it is sent it once, not once per request at once: a directory-backed proxy locks the
 * account after a few failed logins. So until the proxy first answers a request carrying the login, the
 * others wait, each then asks for itself; after a refusal (407) none is sent.
 */
import type { ProxyError } from "./proxy-tunnel.js";

/** How long requests wait for the proxy's first answer to its login before asking for themselves. */
const loginAnswerMs = 2000;

export class ProxyLogin {
  /** The proxy's refusal of the login: every later request fails with it, and none is sent. */
  refusal: ProxyError | null = null;
  /** Whether the proxy has answered a request carrying the login (and taken it). */
  private answered = false;
  /** Requests waiting for the proxy's first answer, sent one at a time till then. */
  private waiting: (() => void)[] | null = null;

  /** `sendsLogin`: whether requests carry a login at all; one that does not need not wait. */
  constructor(readonly sendsLogin: boolean) {}

  /**
   * Runs `ask` in its turn: at once when no login is sent or the proxy took it, else after the request
   * before it was answered. `ask` calls `settled` once its request was answered (`true`: any answer from
   * the proxy), or failed without one; a refusal is set in `refusal` before then.
   */
  turn(ask: (settled: (answered: boolean) => void) => void): void {
    if (!this.sendsLogin || this.answered) {
      ask(() => {});
      return;
    }
    if (this.waiting) {
      this.waiting.push(() => this.turn(ask));
      return;
    }
    this.waiting = [];
    // The others wait for the answer only so long: a proxy checks a login before it reaches the host, so
    // one slow to answer took it and waits on the host, which must not hold every other host's request.
    const heard = setTimeout(() => this.release(true), loginAnswerMs);
    heard.unref();
    ask((answered) => {
      clearTimeout(heard);
      this.release(answered);
    });
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

  /**
   * The requests waiting go on: refused at once after a 407; after another answer (`answered`: a tunnel,
   * another refusal, or none within loginAnswerMs) each asks for itself from now on; after no connection at
   * all, the next of them asks alone, as the first did.
   */
  private release(answered: boolean): void {
    if (answered && !this.refusal) this.answered = true;
    const waiting = this.waiting;
    this.waiting = null;
    for (const go of waiting ?? []) go();
  }
}
