/**
 * What an error shows of a value that may hold credentials: a flag's value it refuses, quoted only when it
 * cannot; a URL's user info in any failure's message, cut. Pure.
 */

/**
 * A URL, or a value with user info (`user:password@host`, `token@host`; not a digest's `@sha256:`, a
 * macro's leading `@`, nor JSONPath's `@.`): a value pasted into the wrong flag, whose part before the `@`
 * may be a password.
 */
export function mayHoldCredentials(value: string): boolean {
  return /:\/\/|[^\s@]@(?!sha256:)[\w[]/.test(value);
}

/** The value quoted, or a note in its place. */
export function quotedValue(value: string): string {
  return mayHoldCredentials(value) ? "(not shown: it may hold credentials)" : `"${value}"`;
}

/** `invalid value "V" for FLAG`, the value left out where it may hold credentials. */
export function invalidValue(value: string, flag: string): string {
  return mayHoldCredentials(value)
    ? `invalid value for ${flag} (not shown: it may hold credentials)`
    : `invalid value "${value}" for ${flag}`;
}

/**
 * Text with the user info of every URL in it (`https://user:password@host`, `https://token@host`) cut to
 * `…@`: a credential pasted where another value was wanted, and quoted back by kubectl or the API server (a
 * selector's 400, a context not found). To the last `@` of the URL, whatever the password holds (`/`, `#`, a
 * quote), unless that `@` begins a digest or comes after a path (`https://host/pkg@1.2`); a bare
 * `name:x@host` is left, which may be an identity (`oidc:alice@example.com`, an AWS role's ARN).
 */
export function withoutUserInfo(text: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)(\S*)@(?!sha(?:256|384|512):)/gi,
    (url, scheme: string, info: string) => (info.includes(":") || !info.includes("/") ? `${scheme}…@` : url),
  );
}
