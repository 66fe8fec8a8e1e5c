import { describe, expect, it } from "vitest";
import { withoutUrlSecrets, withoutUserInfo } from "../../../src/util/url-secrets.js";

describe("withoutUrlSecrets", () => {
  it("leaves out each URL's query and user info, and keeps the rest of the text", () => {
    expect(withoutUrlSecrets('Get "https://cdn.test/a/data?X-Amz-Signature=abc&t=1": EOF')).toBe(
      'Get "https://cdn.test/a/data?…": EOF',
    );
    expect(withoutUrlSecrets("Get https://cdn.test/data?verify=1700-abc: EOF")).toBe(
      "Get https://cdn.test/data?…: EOF",
    );
    expect(withoutUrlSecrets("proxyconnect tcp: http://me:pw@127.0.0.1:3128 refused")).toBe(
      "proxyconnect tcp: http://127.0.0.1:3128 refused",
    );
    // A password may hold a quote, unencoded, as kubectl takes it from a kubeconfig.
    expect(withoutUrlSecrets("https://admin:it's-s3cr3t@10.0.0.1:6443 refused")).toBe(
      "https://10.0.0.1:6443 refused",
    );
    expect(withoutUrlSecrets("'https://h/x' and 'u@v'")).toBe("'https://h/x' and 'u@v'");
    // Or an @: Go's url.Parse, as kubectl reads a server, ends user info at the last one.
    expect(withoutUrlSecrets("https://admin:p@ss@10.0.0.1:6443 refused")).toBe(
      "https://10.0.0.1:6443 refused",
    );
    // Or a `/`, `?` or `#`, which Go would not take for user info, but kubectl's refusal quotes whole.
    for (const password of ["pa/ss", "pa?ss", "pa#ss"]) {
      expect(withoutUrlSecrets(`parse "https://admin:${password}@10.0.0.1:6443": invalid port`)).toBe(
        'parse "https://10.0.0.1:6443": invalid port',
      );
    }
    // A token before a host whose path has an `@`; a password of digits before a `/`, or starting with one;
    // a quote, a backslash or Go's JSON escape in a password.
    expect(withoutUrlSecrets("source https://ghp_t0ken@git.corp.example:8443/team/app@v1.2.3")).toBe(
      "source https://git.corp.example:8443/team/app@v1.2.3",
    );
    expect(withoutUserInfo("source https://ghp_t0ken@git.corp.example:8443/team/app@v1.2.3")).toBe(
      "source https://…@git.corp.example:8443/team/app@v1.2.3",
    );
    for (const password of ["12/Kx9+s3cr3t", "/s3cr3t", 'pa"s3cr3t', "pa\\s3cr3t", "pa\\u0026s3cr3t"]) {
      expect(withoutUrlSecrets(`"https://admin:${password}@10.0.0.1:6443"`)).toBe('"https://10.0.0.1:6443"');
    }
    // A password holding both an `@` and a `/`; a second URL in one token, each cut on its own.
    expect(withoutUserInfo('error: --server "https://admin:P@ss/w0rd@10.0.0.1:6443"')).toBe(
      'error: --server "https://…@10.0.0.1:6443"',
    );
    expect(
      withoutUrlSecrets(
        '{"registry":"https://reg.example.com/v2/","proxy":"http://bob:hunter2@proxy.example:3128"}',
      ),
    ).toBe('{"registry":"https://reg.example.com/v2/","proxy":"http://proxy.example:3128"}');
    // Go's url.Parse refuses a `"`, `<` or `>` in user info and quotes the URL with %q; a URL in a JSON body
    // ends with its string.
    for (const password of ['pa\\"ss', "pa<ss", "x>y"]) {
      expect(
        withoutUserInfo(`error: parse "https://admin:${password}@10.0.0.1:6443": net/url: invalid userinfo`),
      ).toBe('error: parse "https://…@10.0.0.1:6443": net/url: invalid userinfo');
    }
    expect(
      withoutUrlSecrets('{"server":"https://a:b@api.example.com:6443","contact":"ops@example.org"}'),
    ).toBe('{"server":"https://api.example.com:6443","contact":"ops@example.org"}');
    // Where it cannot tell a user from a host (`registry:5000/pkg@1.2`), it cuts.
    expect(withoutUserInfo("Get http://registry:5000/team/app@v1/tags: refused")).toBe(
      "Get http://…@v1/tags: refused",
    );
    // But a path's `@` after a host, and markup a quoted page holds, are not user info: the host stays.
    expect(withoutUrlSecrets("source https://[fd00::1]:8443/team/app@v1.2.3")).toBe(
      "source https://[fd00::1]:8443/team/app@v1.2.3",
    );
    expect(withoutUrlSecrets("source https://git.corp.example:8443/team/app@v1.2.3")).toBe(
      "source https://git.corp.example:8443/team/app@v1.2.3",
    );
    const page = '<a href=\\"https://sso.corp.example:8443/help\\">helpdesk@corp.example</a>';
    expect(withoutUrlSecrets(`unexpected body: "${page}"`)).toBe(`unexpected body: "${page}"`);
    expect(withoutUrlSecrets("Get \"https://host/v2/\": x509: 'foo@bar'")).toBe(
      "Get \"https://host/v2/\": x509: 'foo@bar'",
    );
    expect(withoutUrlSecrets('manifest for "app:latest" not found: manifest unknown')).toBe(
      'manifest for "app:latest" not found: manifest unknown',
    );
  });
});
