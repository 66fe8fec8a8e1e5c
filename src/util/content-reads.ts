/**
 * Reads of what a digest names (a manifest, a config blob), each made once per run: a success answers
 * every later caller, its bytes checked against the digest; a failure only callers asking the same way
 * (`asker`: their credentials), as others may see what those could not — a registry answers 404 for what
 * a credential may not see.
 */
export class ContentReads<T extends { ok: boolean }> {
  /** Each asker's read, by key and asker. */
  private readonly byAsker = new Map<string, Promise<T>>();
  /** The latest read of each key, whoever asked: a success there serves everyone. */
  private readonly latest = new Map<string, Promise<T>>();

  read(key: string, asker: string, start: () => Promise<T>): Promise<T> {
    const own = `${key}\n${asker}`;
    const latest = this.latest.get(key);
    const mine = this.byAsker.get(own);
    if (mine) {
      // Its own failure, unless someone has read it since.
      return latest === mine || !latest
        ? mine
        : mine.then((m) => (m.ok ? m : latest.then((l) => (l.ok ? l : m))));
    }
    const read = latest ? latest.then((known) => (known.ok ? known : start())) : start();
    this.byAsker.set(own, read);
    this.latest.set(key, read);
    return read;
  }

  /** The latest read of the key, whoever asked; undefined when none was made. */
  known(key: string): Promise<T> | undefined {
    return this.latest.get(key);
  }

  /** A success learned otherwise (a manifest read by its tag). */
  learned(key: string, value: T): void {
    this.latest.set(key, Promise.resolve(value));
  }
}
