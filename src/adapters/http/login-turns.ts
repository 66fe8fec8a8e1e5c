/**
 * One login shared by requests sent at once (a proxy's, a registry's password): until one carrying it is
 * answered, the others wait and go one at a time, so a login turned down is sent once rather than once per
 * request. A directory behind the server (LDAP, AD) counts each as a failed login and locks the account after
 * a few. Once the login was answered, each request asks for itself.
 */
export class LoginTurns {
  /** Whether a request carrying the login was answered. */
  private answered = false;
  /** Requests waiting for the first answer; null when none is being asked. */
  private waiting: (() => void)[] | null = null;

  /** `answerWaitMs`: how long the others wait for the first answer, at most (none: until it comes). */
  constructor(private readonly answerWaitMs?: number) {}

  /**
   * Runs `ask` in its turn: at once when the login was answered, else after the request before it. `ask`
   * calls `settled` once its request was answered (`true`: the login was heard) or failed without one.
   */
  turn(ask: (settled: (answered: boolean) => void) => void): void {
    if (this.answered) {
      ask(() => {});
      return;
    }
    if (this.waiting) {
      this.waiting.push(() => this.turn(ask));
      return;
    }
    this.waiting = [];
    const heard =
      this.answerWaitMs === undefined ? undefined : setTimeout(() => this.release(true), this.answerWaitMs);
    heard?.unref();
    let done = false;
    ask((answered) => {
      if (done) return;
      done = true;
      clearTimeout(heard);
      this.release(answered);
    });
  }

  /** turn as a promise, resolved in the caller's turn to the `settled` to call once its answer is known. */
  enter(): Promise<(answered: boolean) => void> {
    return new Promise((resolve) => this.turn(resolve));
  }

  /** After an answer each request goes on its own; after none, the next one waiting asks alone. */
  private release(answered: boolean): void {
    if (answered) this.answered = true;
    const waiting = this.waiting;
    this.waiting = null;
    for (const go of waiting ?? []) go();
  }
}

/** The turns of each login, by a key naming it (server and credential), made when first asked for. */
export class LoginTurnsByKey {
  private readonly byKey = new Map<string, LoginTurns>();

  of(key: string): LoginTurns {
    let turns = this.byKey.get(key);
    if (!turns) {
      turns = new LoginTurns();
      this.byKey.set(key, turns);
    }
    return turns;
  }
}
