/** What of a registry's or token server's error body a reason keeps: one short line, never a credential. */
import { describe, expect, it } from "vitest";
import { credentialSecrets } from "../../../../src/adapters/credentials/secrets.js";
import { detailOf } from "../../../../src/adapters/registry/auth.js";

const body = (text: string) => Buffer.from(text);
const puller = { username: "puller", password: "PULLSECRETPW", source: "secret shop/regcred" };
const basicForm = Buffer.from("puller:PULLSECRETPW").toString("base64");

describe("detailOf", () => {
  it("the first error's code and message, or the body's own field, on one clipped line", () => {
    expect(detailOf(body('{"errors":[{"code":"DENIED","message":"no access"}]}'))).toBe(
      ": DENIED: no access",
    );
    expect(detailOf(body('{"details":"incorrect"}'))).toBe(": incorrect");
    expect(detailOf(body("<html>proxy page</html>"))).toBe("");
    expect(detailOf(body(`plain ${"x".repeat(300)}`))).toHaveLength(162);
  });

  it("a server echoing the request's credential: password, Basic pair and tokens are blanked out", () => {
    const echoed = [
      `{"errors":[{"code":"UNAUTHORIZED","message":"bad creds for Basic ${basicForm}"}]}`,
      `{"error":"invalid_grant","error_description":"refresh token refresh-ci-secret is revoked"}`,
      "password PULLSECRETPW does not match",
    ];
    const secrets = [
      ...credentialSecrets(puller),
      ...credentialSecrets({ identityToken: "refresh-ci-secret", source: "helper" }),
    ];
    for (const text of echoed) {
      const detail = detailOf(body(text), secrets);
      expect(detail).toContain("<redacted>");
      expect(detail).not.toMatch(/PULLSECRETPW|refresh-ci-secret/);
      expect(detail).not.toContain(basicForm);
    }
  });

  it("a refresh token echoed as it was sent, form-encoded (+ / = escaped), is blanked out too", () => {
    const identityToken = "Zm9vYmFy+c2VjcmV0/dG9rZW4=";
    const form = new URLSearchParams({ refresh_token: identityToken }).toString();
    const detail = detailOf(
      body(JSON.stringify({ error: `invalid_grant for grant_type=refresh_token&${form}` })),
      credentialSecrets({ identityToken, source: "helper" }),
    );
    expect(detail).toBe(": invalid_grant for grant_type=refresh_token&refresh_token=<redacted>");
  });

  it("a secret the JSON escapes (Go writes & < > as \\u0026…) is blanked out as parsed too", () => {
    const odd = { username: "puller", password: "p&ss<word>", source: "secret shop/regcred" };
    const text = '{"errors":[{"code":"UNAUTHORIZED","message":"bad password p\\u0026ss\\u003cword\\u003e"}]}';
    expect(detailOf(body(text), credentialSecrets(odd))).toBe(": UNAUTHORIZED: bad password <redacted>");
  });

  it("blanked out before the line is clipped: no tail of a long secret survives the cut", () => {
    const token = `tok-${"z".repeat(200)}`;
    const detail = detailOf(body(`${"a".repeat(150)} ${token}`), [token]);
    expect(detail).not.toContain("zzzz");
    expect(detail).toMatch(/^: a{150} <redac/);
  });
});
