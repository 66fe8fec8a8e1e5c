/**
 * Text that quotes URLs (a tool's error line), with each URL's user info (as `withoutUserInfo` finds it) and
 * query left out. A blob that a registry redirects to object storage is fetched from a presigned URL: its
 * query (X-Amz-Signature, X-Amz-Security-Token, Cloudflare's verify=) is a key to the blob until it expires.
 */
export function withoutUrlSecrets(text: string): string {
  return cutUserInfo(text, "").replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'?#]*)(\?[^\s"'#]*?)?(?=:?(?:[\s"'#]|$))/gi,
    (_url, scheme: string, rest: string, query?: string) => `${scheme}${rest}${query ? "?…" : ""}`,
  );
}

/**
 * Text with the user info of every URL in it (`https://user:password@host`, `https://token@host`) cut to
 * `…@`: a credential pasted where another value was wanted, and quoted back by kubectl or the API server (a
 * selector's 400, a context not found). To the last `@` of the URL, whatever the password holds (`/`, `#`,
 * `'`), unless that `@` begins a digest or comes after a path (`https://host:8443/pkg@1.2`); a URL ends at
 * a space, `"`, `<`, `>` or `\` (a quoted page's markup). A bare `name:x@host` is left, which may be an
 * identity (`oidc:alice@example.com`, an AWS role's ARN).
 */
export function withoutUserInfo(text: string): string {
  return cutUserInfo(text, "…@");
}

function cutUserInfo(text: string, replacement: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"<>\\]*)@(?!sha(?:256|384|512):)/gi,
    (url, scheme: string, info: string) => (isUserInfo(info) ? `${scheme}${replacement}` : url),
  );
}

/**
 * Whether what comes before a URL's `@` is its user info: it holds no `/`, or a `:` before its first `/`
 * that no port follows (`user:pa/ss`, not `host:8443/path`).
 */
function isUserInfo(info: string): boolean {
  const slash = info.indexOf("/");
  return slash < 0 || /:(?!\d*$)/.test(info.slice(0, slash));
}
