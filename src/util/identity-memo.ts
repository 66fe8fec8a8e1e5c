/**
 * Values made once per combination of references, compared by identity: a Map level per part, so a
 * lookup hashes no text. For objects shared between many holders (a controller's pods share their
 * containers and statuses lists), where building a text key for every holder would cost more than the
 * value. Parts must not change while the memo is in use: equal identity stands for equal content.
 */
export class IdentityMemo<V> {
  private readonly root = new Map<unknown, unknown>();

  get(parts: readonly unknown[], make: () => V): V {
    let level = this.root;
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(parts[i]) as Map<unknown, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(parts[i], next);
      }
      level = next;
    }
    if (level.has(parts[last])) return level.get(parts[last]) as V;
    const made = make();
    level.set(parts[last], made);
    return made;
  }
}
