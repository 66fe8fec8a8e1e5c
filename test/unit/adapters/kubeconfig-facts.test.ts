/**
 * explainClusterAccess after a 401 with a client certificate: the certificate kubectl sent is the one whose
 * dates are read. `kubectl config view -o json` prints a relative `client-certificate: client.crt` as
 * written, while kubectl reads it beside the kubeconfig file that names it.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { explainClusterAccess } from "../../../src/adapters/kubeconfig-facts.js";
import { ClusterAccessError } from "../../../src/adapters/kubectl-errors.js";
import { repoRoot } from "../../support/cli.js";

const expiredCertificate = join(repoRoot, "test", "fixtures", "kubectl-failures", "expired-client.crt");

/** A kubectl that answers `config view -o json` with a view naming the certificate `client.crt`. */
function fakeKubectl(dir: string): string {
  const view = {
    kind: "Config",
    apiVersion: "v1",
    clusters: [{ name: "dev", cluster: { server: "https://127.0.0.1:1" } }],
    users: [{ name: "dev", user: { "client-certificate": "client.crt", "client-key": "client.key" } }],
    contexts: [{ name: "dev", context: { cluster: "dev", user: "dev" } }],
    "current-context": "dev",
  };
  const kubectl = join(dir, "kubectl");
  writeFileSync(kubectl, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(view)}\nJSON\n`);
  chmodSync(kubectl, 0o755);
  return kubectl;
}

const unauthorized = () => new ClusterAccessError("Unauthorized", { kind: "unauthorized" }, "");

describe("a relative client certificate", () => {
  it("is read beside the --kubeconfig file, as kubectl reads it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-relative-cert-"));
    mkdirSync(join(dir, "kube"));
    const kubeconfig = join(dir, "kube", "config");
    writeFileSync(kubeconfig, "# read by the fake kubectl only\n");
    copyFileSync(expiredCertificate, join(dir, "kube", "client.crt"));
    const explained = await explainClusterAccess(
      unauthorized(),
      { HOME: dir },
      { kubectlPath: fakeKubectl(dir), connection: { kubeconfig } },
    );
    expect(explained.message).toContain("its client certificate expired on 2020-01-02 00:00 UTC");
  });

  it("with several $KUBECONFIG files, beside the one that defines the user, not another that has one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-relative-cert-"));
    // One directory per cluster, each with its own client.crt: a's belongs to user ops.
    for (const [sub, user] of [
      ["a", "ops"],
      ["b", "dev"],
    ]) {
      mkdirSync(join(dir, sub!));
      writeFileSync(
        join(dir, sub!, "config"),
        `users:\n- name: ${user}\n  user: {client-certificate: client.crt, client-key: client.key}\n`,
      );
    }
    writeFileSync(join(dir, "a", "client.crt"), "ops's certificate, never read here\n");
    copyFileSync(expiredCertificate, join(dir, "b", "client.crt"));
    const explained = await explainClusterAccess(
      unauthorized(),
      { HOME: dir, KUBECONFIG: [join(dir, "a", "config"), join(dir, "b", "config")].join(delimiter) },
      { kubectlPath: fakeKubectl(dir), connection: {} },
    );
    expect(explained.message).toContain("its client certificate expired on 2020-01-02 00:00 UTC");
  });
});

describe("a certificate inside the kubeconfig (client-certificate-data)", () => {
  /** A kubectl whose kubeconfig has users dev and ops, each with an inline certificate; ops's expired. */
  function inlineKubectl(dir: string): string {
    const user = { "client-certificate-data": "DATA+OMITTED", "client-key-data": "DATA+OMITTED" };
    const view = {
      kind: "Config",
      apiVersion: "v1",
      clusters: [{ name: "dev", cluster: { server: "https://127.0.0.1:1" } }],
      users: [
        { name: "dev", user },
        { name: "ops", user },
      ],
      contexts: [{ name: "dev", context: { cluster: "dev", user: "dev" } }],
      "current-context": "dev",
    };
    const expired = readFileSync(expiredCertificate).toString("base64");
    const kubectl = join(dir, "kubectl");
    // As kubectl answers: by the user's name, that user's data; `--minify` would keep the context's
    // user, dev.
    writeFileSync(
      kubectl,
      `#!/bin/sh\ncase "$*" in\n  *'@.name=="ops"'*) printf %s '${expired}' ;;\n  *--raw*) printf %s 'bm90IGEgY2VydGlmaWNhdGU=' ;;\n  *) cat <<'JSON'\n${JSON.stringify(view)}\nJSON\n  ;;\nesac\n`,
    );
    chmodSync(kubectl, 0o755);
    return kubectl;
  }

  it("with --user, that user's is read, not the context's user's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-inline-cert-"));
    const kubeconfig = join(dir, "config");
    writeFileSync(kubeconfig, "# read by the fake kubectl only\n");
    const explained = await explainClusterAccess(
      unauthorized(),
      { HOME: dir },
      { kubectlPath: inlineKubectl(dir), connection: { kubeconfig, user: "ops" } },
    );
    expect(explained.message).toContain('user "ops"');
    expect(explained.message).toContain("its client certificate expired on 2020-01-02 00:00 UTC");
  });
});

describe("the command offered to check the connection", () => {
  it("repeats --cluster and --user: without them it would try the context's own cluster", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-check-command-"));
    const kubeconfig = join(dir, "config");
    writeFileSync(kubeconfig, "# read by the fake kubectl only\n");
    const refused = new ClusterAccessError("refused", { kind: "refused", server: "https://127.0.0.1:1" }, "");
    const explained = await explainClusterAccess(
      refused,
      { HOME: dir },
      { kubectlPath: fakeKubectl(dir), connection: { kubeconfig, cluster: "other", user: "ops" } },
    );
    expect(explained.message).toContain(
      `(kubectl --kubeconfig ${kubeconfig} --context dev --cluster other --user ops cluster-info)`,
    );
  });
});

describe("flags that stand in for the kubeconfig's TLS files", () => {
  it("--client-certificate: the certificate kubectl sent is the one read, and named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-flag-cert-"));
    const kubeconfig = join(dir, "config");
    writeFileSync(kubeconfig, "# read by the fake kubectl only\n");
    // The kubeconfig's client.crt does not exist; the flag's certificate expired.
    const explained = await explainClusterAccess(
      unauthorized(),
      { HOME: dir },
      { kubectlPath: fakeKubectl(dir), connection: { kubeconfig, clientCertificate: expiredCertificate } },
    );
    expect(explained.message).toContain(
      `the client certificate ${expiredCertificate} (--client-certificate) expired on 2020-01-02 00:00 UTC; renew it or give a current one`,
    );
  });

  it("--certificate-authority: that CA is named, not the kubeconfig's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-flag-ca-"));
    const kubeconfig = join(dir, "config");
    writeFileSync(kubeconfig, "# read by the fake kubectl only\n");
    const untrusted = new ClusterAccessError(
      "untrusted",
      { kind: "untrusted", server: "https://127.0.0.1:1", detail: "certificate signed by unknown authority" },
      "",
    );
    const ca = join(dir, "ca.pem");
    const explained = await explainClusterAccess(
      untrusted,
      { HOME: dir },
      { kubectlPath: fakeKubectl(dir), connection: { kubeconfig, certificateAuthority: ca } },
    );
    expect(explained.message).toContain(
      `presented a certificate that the CA in ${ca} (--certificate-authority) did not sign; check that --certificate-authority names this cluster's CA`,
    );
  });
});

describe("the check command, as a shell reads it", () => {
  it("quotes a path with a space and repeats every connection flag of the call", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau check command-"));
    const kubeconfig = join(dir, "my config");
    writeFileSync(kubeconfig, "# read by the fake kubectl only\n");
    const timeout = new ClusterAccessError("timeout", { kind: "timeout", server: "https://127.0.0.1:1" }, "");
    const explained = await explainClusterAccess(
      timeout,
      { HOME: dir },
      { kubectlPath: fakeKubectl(dir), connection: { kubeconfig, requestTimeout: "2m", as: "ops" } },
    );
    expect(explained.message).toContain(
      `(kubectl --kubeconfig '${kubeconfig}' --context dev --request-timeout=2m --as=ops cluster-info)`,
    );
  });
});
