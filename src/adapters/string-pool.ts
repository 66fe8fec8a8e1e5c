/**
 * One shared copy of each distinct string. 150,000 pods name the same few images, namespaces, owners and
 * label values over and over, and JSON.parse gives each occurrence its own copy: sharing them takes a
 * slim pod from ~1.6 KB to ~1 KB. Only for values that repeat; unique ones (names, UIDs) would only grow
 * the pool.
 */
export type StringPool = <T extends string | undefined>(value: T) => T;

export function stringPool(): StringPool {
  const pool = new Map<string, string>();
  return (<T extends string | undefined>(value: T): T => {
    if (value === undefined) return value;
    const shared = pool.get(value);
    if (shared !== undefined) return shared as T;
    pool.set(value, value);
    return value;
  }) as StringPool;
}
