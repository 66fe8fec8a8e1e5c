/**
 * A registry credential's secrets, in the forms they travel in, and text with them blanked: a registry, a
 * token server or a proxy in front of them may echo a request (its Authorization header, its form body)
 * in an error that reaches a reason, a log or a report.
 */
import { createHash } from "node:crypto";
import type { Credential } from "../../core/keyring.js";
import { blanked } from "../../util/blanked.js";

/** What of a credential must never be shown, in the forms it is sent in. */
export function credentialSecrets(credential: Credential | undefined | null): (string | undefined)[] {
  if (!credential) return [];
  const { username, password } = credential;
  const pair =
    username !== undefined && password !== undefined ? basicCredentials(username, password) : undefined;
  const { identityToken } = credential;
  // A password or refresh token goes to a token server in a form body (containerd's POST, this tool's),
  // escaped.
  return [
    password,
    pair,
    identityToken,
    ...formEncodings(password),
    ...formEncodings(identityToken),
    credential.registryToken,
  ];
}

/**
 * A secret as a form body carries it: escaped as a browser's form (URLSearchParams, which sends a lone
 * surrogate as U+FFFD) and as Go's url.QueryEscape, which differs only in escaping `*` and not `~`.
 */
function formEncodings(secret: string | undefined): string[] {
  // As redactSecrets: a shorter secret is blanked as written only.
  if (secret === undefined || secret.length < minSecretLength) return [];
  const whatwg = new URLSearchParams({ s: secret }).toString().slice(2);
  const go = whatwg.replaceAll("*", "%2A").replaceAll("%7E", "~");
  return [...new Set([whatwg, go])].filter((form) => form !== secret);
}

/** A secret shorter than this is blanked only as a word of its own: inside words it would blank their letters. */
const minSecretLength = 4;

/** `user:password` as a Basic Authorization header carries it, after `Basic `. */
export function basicCredentials(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString("base64");
}

/**
 * The text with each secret blanked (one shorter than 4 characters only as a word of its own, as written), as
 * written and as quoted: docker prints a registry's answer it cannot parse quoted (Go's %q, which writes `"`,
 * `\` and line breaks as JSON does), a password may be a whole JSON key file (GCR's `_json_key`), and a token
 * server may echo it in JSON of its own. Lone surrogates count as the U+FFFD Go sends for them.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const forms = secrets
    .filter((secret): secret is string => secret !== undefined && secret.length >= minSecretLength)
    .flatMap((secret) => [secret, wellFormed(secret)])
    .flatMap((secret) => {
      const quoted = JSON.stringify(secret).slice(1, -1);
      const ascii = unicodeEscaped(quoted, /[^\x00-\x7f]/g, false);
      // As other JSON encoders write it: ASCII only (Python's; PHP's, with `/` as `\/`; Jackson's, in uppercase
      // hex), with < > & and the line separators escaped (Go's), or those and ' + ` " too, in uppercase hex
      // (.NET's).
      return [
        secret,
        quoted,
        ascii,
        ascii.replaceAll("/", "\\/"),
        upperHex(unicodeEscaped(quoted, /[^\x00-\x7f]/g, true)),
        unicodeEscaped(quoted, /[<>&\u2028\u2029]/g, false),
        upperHex(unicodeEscaped(quoted.replaceAll('\\"', '"'), /[^\x00-\x7f]|[<>&'+`"]/g, true)),
      ];
    });
  const short = secrets.filter(
    (secret): secret is string => secret !== undefined && secret.length < minSecretLength,
  );
  return blanked(text, forms, "<redacted>", short);
}

/** `text` with the characters `pattern` matches written as \u escapes, in lowercase or uppercase hex. */
function unicodeEscaped(text: string, pattern: RegExp, upper: boolean): string {
  return text.replace(pattern, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, "0");
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });
}

/** JSON text with the \u escapes JSON.stringify wrote (control characters) in uppercase hex. */
function upperHex(json: string): string {
  return json.replace(/(\\\\)|\\u([0-9a-f]{4})/g, (all, backslash?: string, hex?: string) =>
    backslash ? all : `\\u${hex!.toUpperCase()}`,
  );
}

/** The text with each lone surrogate as U+FFFD: as Go reads it from a config's JSON, and sends it on. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/**
 * The text with every Authorization value (`Bearer …`, `Basic …`) blanked: a pull token docker got from a
 * token server is no secret this tool knows, yet a registry or proxy may echo it. A challenge's parameters
 * (`Bearer realm="…"`) and docker's words (`no basic auth credentials`) stay: a token is 16 characters or
 * more, and a shorter credential is one this tool knows and blanks as such.
 */
export function withoutAuthorizationValues(text: string): string {
  return text.replace(/\b(Bearer|Basic) (?![a-z_]+=")[^\s"'\\,;]{16,}/gi, "$1 <redacted>");
}

/** A cache key for a credential that holds no secret in readable form. */
export function fingerprint(credential: Credential | null): string {
  if (!credential) return "anonymous";
  const { username, password, identityToken, registryToken } = credential;
  return createHash("sha256")
    .update(JSON.stringify([username, password, identityToken, registryToken]))
    .digest("hex");
}
