/** How an error shows a flag's value it refuses: quoted, unless it may hold credentials. Pure. */

/**
 * A URL, or a value with user info (`user:password@host`, `token@host`; not a digest's `@sha256:`, a
 * macro's leading `@`, nor JSONPath's `@.`): a value pasted into the wrong flag, whose part before the `@`
 * may be a password.
 */
export function mayHoldCredentials(value: string): boolean {
  return /:\/\/|[^\s@]@(?!sha256:)[\w[]/.test(value);
}

const notShown = "(not shown: it may hold credentials)";

/** The value quoted, or a note in its place. */
export function quotedValue(value: string): string {
  return mayHoldCredentials(value) ? notShown : `"${value}"`;
}

/**
 * A name quoted, unless it is a URL (its path or query may hold a token) or `user:password@host`: a name may
 * well be `user@cluster`, as kubeadm names its contexts, or `project/api-host:6443/user@domain`, as `oc login`
 * does.
 */
export function quotedName(name: string): string {
  return /:\/\/|^[^\s/@:]+:[^\s/@]+@/.test(name) ? notShown : `"${name}"`;
}

/** The value as it is (a path), or a note in its place; `what` names it there (`the program (not shown…)`). */
export function shownValue(value: string, what?: string): string {
  if (!mayHoldCredentials(value)) return value;
  return what ? `${what} ${notShown}` : notShown;
}

/** `invalid value "V" for FLAG`, the value left out where it may hold credentials. */
export function invalidValue(value: string, flag: string): string {
  return mayHoldCredentials(value)
    ? `invalid value for ${flag} ${notShown}`
    : `invalid value "${value}" for ${flag}`;
}
