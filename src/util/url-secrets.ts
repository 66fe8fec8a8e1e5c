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
 * selector's 400, a context not found). A URL runs to a space, a JSON string's end (`",`) or another URL:
 * a password may hold anything else (Go's %q quotes a `"` in it as `\"`). Its user info is what comes before
 * the last `@` ahead of its first `/` where a host follows that `@`, as Go's url.Parse reads it; else all
 * before its last `@` (a password holding a `/` or an `@`, unencoded), unless what comes before the `/` is a
 * host (`git.example:8443/pkg@1.2`) or nothing (`file:///`). Not an `@` that begins a digest. Where it cannot
 * tell, it cuts (`registry:5000/pkg@1.2` loses its host). A bare `name:x@host` is left, which may be an
 * identity (`oidc:alice@example.com`, an AWS role's ARN).
 */
export function withoutUserInfo(text: string): string {
  return cutUserInfo(text, "…@");
}

function cutUserInfo(text: string, replacement: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)((?:(?![a-z][a-z0-9+.-]*:\/\/|"[,:}\]])\S)*)@(?!sha(?:256|384|512):)/gi,
    (url, scheme: string, info: string) => {
      const end = userInfoEnd(info);
      if (end === null) return url;
      return end === info.length
        ? `${scheme}${replacement}`
        : `${scheme}${replacement}${info.slice(end + 1)}@`;
    },
  );
}

/** A host name with a dot, `localhost` or an IPv6 address in brackets; with its port, if any. */
const namedHost = /^(?:\[[0-9a-f:.]+\]|localhost|[a-z0-9_-]+(?:\.[a-z0-9_-]+)+)(?::\d+)?$/i;
/** A name with a port (`registry:5000`): a host only after user info, else a user and a password. */
const hostWithPort = /^[a-z0-9_-]+:\d+$/i;

/** Where the user info of what comes between a URL's `://` and an `@` ends; null when it holds none. */
function userInfoEnd(info: string): number | null {
  const slash = info.indexOf("/");
  if (slash < 0) return info.length;
  const head = info.slice(0, slash);
  if (head === "") return null;
  const at = head.lastIndexOf("@");
  if (at >= 0) {
    const host = head.slice(at + 1);
    return namedHost.test(host) || hostWithPort.test(host) ? at : info.length;
  }
  return namedHost.test(head) ? null : info.length;
}
