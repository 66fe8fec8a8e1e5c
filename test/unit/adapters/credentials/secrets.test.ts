/**
 * redactSecrets: a pull secret's password as a registry's echo may carry it, written or quoted as docker
 * quotes a body it cannot parse (Go's %q), among other secrets that contain one another.
 */
import { describe, expect, it } from "vitest";
import {
  basicCredentials,
  credentialSecrets,
  redactSecrets,
  withoutAuthorizationValues,
} from "../../../../src/adapters/credentials/secrets.js";

/** docker's error for a 401 body it cannot parse, the body quoted as Go's %q quotes ASCII text. */
const dockerQuoting = (body: string) =>
  `Error response from daemon: Head "https://reg.example.com/v2/app/manifests/latest": error parsing HTTP 401 response body: invalid character 'A' looking for beginning of value: ${JSON.stringify(body)}`;

describe("redactSecrets", () => {
  it("blanks a password that is a JSON key file (GCR's _json_key) where docker quotes it", () => {
    const key = [
      "{",
      '  "type": "service_account",',
      '  "private_key_id": "0123456789abcdef0123456789abcdef01234567",',
      '  "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwKEYMATERIAL\\n-----END PRIVATE KEY-----\\n",',
      '  "client_email": "puller@shop-prod.iam.gserviceaccount.com"',
      "}",
    ].join("\n");
    const credential = { username: "_json_key", password: key, source: "secret shop/gcr" };
    const header = basicCredentials("_json_key", key);
    const text = dockerQuoting(`Authorization: Basic ${header} (${key})`);
    const redacted = redactSecrets(text, credentialSecrets(credential));
    expect(redacted).toMatch(/: "Authorization: Basic <redacted> \(<redacted>\)"$/);
    expect(redacted).not.toContain("KEYMATERIAL");
    expect(redacted).not.toContain("0123456789abcdef");
  });

  it("blanks a longer secret whole when a shorter one it contains comes first", () => {
    const secrets = ["Registry2024", "Registry2024-prod-9f3kQx"];
    expect(redactSecrets("echo (Registry2024-prod-9f3kQx) and (Registry2024)", secrets)).toBe(
      "echo (<redacted>) and (<redacted>)",
    );
  });

  it("does not find a secret again inside a mark it wrote", () => {
    expect(redactSecrets("dact:s3cret-dact", ["s3cret-dact", "dact"])).toBe("<redacted>:<redacted>");
  });

  it("blanks a secret under 4 characters only as a word of its own, not inside words", () => {
    expect(redactSecrets(`login ci/Zq7 refused: "Zq7" (Zq7s, aZq7)`, ["Zq7"])).toBe(
      `login ci/<redacted> refused: "<redacted>" (Zq7s, aZq7)`,
    );
    expect(redactSecrets("pull x, at index 0", ["x", "0", "1"])).toBe("pull <redacted>, at index <redacted>");
    // Nor does one that starts first cut a longer secret in two, leaving its rest showing.
    expect(redactSecrets("login ab-s3cretPassw0rd", ["ab", "b-s3cretPassw0rd"])).toBe("login a<redacted>");
  });
});

describe("credentialSecrets", () => {
  it("blanks a password as a token server's echo of a form body carries it, escaped as Go or a browser escapes it", () => {
    // containerd asks a Bearer token server with POST grant_type=password&username=…&password=…
    const password = "s3cret/Pull+Key=2026! ~*";
    const secrets = credentialSecrets({ username: "robot", password, source: "secret shop/pull" });
    for (const form of ["s3cret%2FPull%2BKey%3D2026%21+~%2A", "s3cret%2FPull%2BKey%3D2026%21+%7E*"]) {
      const echo = `invalid request body grant_type=password&username=robot&password=${form}&scope=x`;
      expect(redactSecrets(echo, secrets)).toBe(
        "invalid request body grant_type=password&username=robot&password=<redacted>&scope=x",
      );
    }
  });

  it("takes a password with a lone surrogate (as a config's JSON may hold it); a short one is blanked only as written", () => {
    const odd = credentialSecrets({ username: "robot", password: "pw\ud800-pull", source: "docker config" });
    expect(redactSecrets("password=pw%EF%BF%BD-pull", odd)).toBe("password=<redacted>");
    // And as Go sends and echoes it, written or quoted: U+FFFD for the surrogate.
    expect(redactSecrets(`"bad password pw\ufffd-pull"`, odd)).toBe(`"bad password <redacted>"`);
    // As Go's and .NET's JSON encoders escape a password.
    const amp = credentialSecrets({ username: "robot", password: "s3cr&t-päss", source: "docker config" });
    for (const echoed of [
      String.raw`s3cr\u0026t-päss`,
      String.raw`s3cr&t-p\u00E4ss`,
      String.raw`s3cr&t-p\u00e4ss`,
    ]) {
      expect(redactSecrets(`{"detail":"bad password ${echoed}"}`, amp)).toBe(
        `{"detail":"bad password <redacted>"}`,
      );
    }
    // .NET's escapes + ' ` " & < > too, in uppercase hex; PHP's writes / as \/.
    const plus = credentialSecrets({ username: "robot", password: 'hunter+2/"ä', source: "docker config" });
    for (const echoed of [String.raw`hunter\u002B2/\u0022\u00E4`, String.raw`hunter+2\/\"\u00e4`]) {
      expect(redactSecrets(`{"password":"${echoed}"}`, plus)).toBe(`{"password":"<redacted>"}`);
    }
    // A control character, which JSON.stringify escapes in lowercase hex, in uppercase as .NET writes it.
    const esc = credentialSecrets({ username: "robot", password: "pass\u001bwörd", source: "docker config" });
    expect(redactSecrets(String.raw`"pass\u001Bw\u00F6rd"`, esc)).toBe(`"<redacted>"`);
    // Or echoed by a JSON encoder that writes only ASCII (Python's json.dumps).
    expect(redactSecrets(String.raw`{"detail": "bad password pw\ufffd-pull"}`, odd)).toBe(
      `{"detail": "bad password <redacted>"}`,
    );
    const short = credentialSecrets({ username: "robot", password: "a/b", source: "docker config" });
    expect(redactSecrets("path a%2Fb and a/b", short)).toBe("path a%2Fb and <redacted>");
  });
});

describe("withoutAuthorizationValues", () => {
  it("blanks a token after Bearer or Basic; keeps a challenge's parameters and docker's own words", () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJhY2Nlc3MiOltdfQ.c2lnbmF0dXJl";
    expect(withoutAuthorizationValues(`"Authorization: Bearer ${token}"`)).toBe(
      '"Authorization: Bearer <redacted>"',
    );
    expect(withoutAuthorizationValues("authorization: basic dXNlcjpsb25nLXBhc3N3b3Jk")).toBe(
      "authorization: basic <redacted>",
    );
    for (const kept of [
      'Www-Authenticate: Bearer realm="https://auth.example/token",service="registry"',
      'Head "http://127.0.0.1:5000/v2/app/manifests/main": no basic auth credentials',
    ]) {
      expect(withoutAuthorizationValues(kept)).toBe(kept);
    }
  });
});
