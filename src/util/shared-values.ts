/**
 * One shared copy of each value that repeats from pod to pod. 150,000 pods name the same few images,
 * namespaces, owners and label sets over and over (and come to the same few verdicts about them), and each
 * would otherwise get its own copy; sharing them takes a kept pod from ~950 bytes to about a third. Only for
 * values that repeat: unique ones (names, UIDs) would only grow the pool. Shared objects are frozen: nothing
 * may change one pod's copy under another.
 */
export class SharedValues {
  private readonly strings = new Map<string, string>();
  private readonly values = new Map<string, unknown>();

  string<T extends string | undefined>(value: T): T {
    if (value === undefined) return value;
    const shared = this.strings.get(value);
    if (shared !== undefined) return shared as T;
    this.strings.set(value, value);
    return value;
  }

  /** The value first made for `key` (which must say everything the value holds), frozen with its members. */
  value<T extends object>(key: string, make: () => T): T {
    const shared = this.values.get(key);
    if (shared !== undefined) return shared as T;
    const made = make();
    for (const member of Object.values(made)) if (typeof member === "object") Object.freeze(member);
    this.values.set(key, Object.freeze(made));
    return made;
  }
}
