/**
 * Network failures that will not get better by asking again: TLS trust, a name that does not resolve, a
 * proxy's refusal. Retried, each only repeats its request (a proxy's 407 is one more failed login).
 */
const tlsCodes =
  /^(CERT_|CRL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERROR_IN_|INVALID_CA$|INVALID_PURPOSE$|PATH_LENGTH_EXCEEDED$|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_)/;

/** The TLS failures of a certificate no CA this process trusts signed: another CA given would mend them. */
const untrustedCodes =
  /^(UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED|CERT_UNTRUSTED)/;

/** Whether a failure's code is a certificate signed by no CA this process trusts. */
export function isUntrustedCertificate(code: string): boolean {
  return untrustedCodes.test(code);
}

/** Whether a failure's code (its cause's `code`) is a TLS trust failure. */
export function isTlsFailure(code: string): boolean {
  return tlsCodes.test(code);
}

/** Whether a failure's code (its cause's `code`) is one asking again cannot change. */
export function isPermanentFailure(code: string): boolean {
  return isTlsFailure(code) || code === "ENOTFOUND" || code === "ERR_PROXY_REFUSED";
}
