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
 * selector's 400, a context not found). User info is what comes before the last `@` ahead of the URL's first
 * `/`, as Go's url.Parse reads it; where no `@` comes before the `/`, all before the URL's last `@` (a
 * password holding a `/`, unencoded, which Go would refuse and kubectl quote), unless what comes before the
 * `/` is a host (`host.example:8443/pkg@1.2`). Not an `@` that begins a digest. A bare `name:x@host` is left,
 * which may be an identity (`oidc:alice@example.com`, an AWS role's ARN).
 */
export function withoutUserInfo(text: string): string {
  return cutUserInfo(text, "…@");
}

function cutUserInfo(text: string, replacement: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)(\S*)@(?!sha(?:256|384|512):)/gi,
    (url, scheme: string, info: string) => {
      const end = userInfoEnd(info);
      if (end === null) return url;
      return end === info.length
        ? `${scheme}${replacement}`
        : `${scheme}${replacement}${info.slice(end + 1)}@`;
    },
  );
}

/** A host, with or without its port: a name with a dot, `localhost`, or an IPv6 address in brackets. */
const hostAndPort = /^(?:\[[0-9a-f:.]+\]|localhost|[a-z0-9_-]+(?:\.[a-z0-9_-]+)+)(?::\d+)?$/i;

/** Where the user info of what comes between a URL's `://` and an `@` ends; null when it holds none. */
function userInfoEnd(info: string): number | null {
  const slash = info.indexOf("/");
  if (slash < 0) return info.length;
  const head = info.slice(0, slash);
  const at = head.lastIndexOf("@");
  if (at >= 0) return at;
  // No host at all (`file:///…`), or a host: the `@` is the path's.
  return head === "" || hostAndPort.test(head) ? null : info.length;
}
