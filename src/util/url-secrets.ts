/**
 * Text that quotes URLs (a tool's error line), with each URL's user info and query left out. A blob that a
 * registry redirects to object storage is fetched from a presigned URL: its query (X-Amz-Signature,
 * X-Amz-Security-Token, Cloudflare's verify=) is a key to the blob until it expires. User info may hold
 * a `'` (a sub-delimiter, unencoded in a password as kubectl takes it) or an `@`: it ends at the last `@`
 * before the host, as Go's url.Parse splits it.
 */
export function withoutUrlSecrets(text: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s"/?#]*@)?([^\s"'?#]*)(\?[^\s"'#]*?)?(?=:?(?:[\s"'#]|$))/gi,
    (_url, scheme: string, rest: string, query?: string) => `${scheme}${rest}${query ? "?…" : ""}`,
  );
}
