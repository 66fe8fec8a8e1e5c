/**
 * https to a real registry whose certificate comes from a private CA: trusted when the CA is in the
 * system's bundle (SSL_CERT_FILE names it, as for OpenSSL) or in NODE_EXTRA_CA_CERTS; without either, a TLS
 * error — `unknown`, not retried.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { rootCertificates } from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeCluster } from "../../support/fake-kubectl.js";
import { pushImage } from "../../support/images.js";
import { makeReplicaSet } from "../../support/pods.js";
import { type Registry, startRegistry } from "../../support/registry/distribution.js";
import { deploymentPod, removeTempDirs, rows, runPlan } from "../../support/registry/harness.js";
import { startTlsRegistry, type TlsRegistry } from "../../support/registry/tls-registry.js";

let plain: Registry;
let tls: TlsRegistry;

beforeAll(async () => {
  plain = await startRegistry();
  tls = await startTlsRegistry(join(plain.dir, "data"), inject("localAddress"));
});
afterAll(async () => {
  removeTempDirs();
  await tls?.stop();
  await plain?.stop();
});

describe("registry resolver over https", () => {
  it("trusts a private CA in the system bundle or NODE_EXTRA_CA_CERTS; without, a TLS error leaves it unknown", async () => {
    const v1 = await pushImage(`${plain.host}/secure/app:latest`, "secure v1");
    const image = `${tls.host}/secure/app:latest`;
    const cluster = new FakeCluster({
      pods: [deploymentPod("secure-1", image, v1)],
      objects: [makeReplicaSet("web-7d9c8b", "web")],
    });
    const args = ["plan", "--resolver", "registry", "-o", "json", "-v"];

    const trusted = await runPlan(cluster, args, { env: { NODE_EXTRA_CA_CERTS: tls.caPath } });
    expect(rows(trusted)).toEqual([["secure-1", "none", "current", ""]]);
    expect(trusted.stderr).toContain(
      `registry: HEAD https://${tls.host}/v2/secure/app/manifests/latest → 200`,
    );

    // The system's bundle (Node itself trusts only its own list): the CA installed as update-ca-certificates
    // would, in a bundle of its own plus a public root.
    const bundle = join(mkdtempSync(join(tmpdir(), "kau-system-ca-")), "ca-certificates.crt");
    writeFileSync(bundle, `${rootCertificates[0]}\n${readFileSync(tls.caPath, "utf8")}`);
    const system = await runPlan(cluster, args, { env: { NODE_EXTRA_CA_CERTS: "", SSL_CERT_FILE: bundle } });
    expect(rows(system)).toEqual([["secure-1", "none", "current", ""]]);
    expect(system.stderr).toContain("registry: trusting 2 CA certificates of the system besides Node's own");

    // One certificate in the bundle that does not parse: the others are trusted all the same.
    const damaged = join(dirname(bundle), "damaged.crt");
    const unparsable = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
    writeFileSync(damaged, `${unparsable}${readFileSync(bundle, "utf8")}`);
    const despite = await runPlan(cluster, args, {
      env: { NODE_EXTRA_CA_CERTS: "", SSL_CERT_FILE: damaged },
    });
    expect(rows(despite)).toEqual([["secure-1", "none", "current", ""]]);

    const untrusted = await runPlan(cluster, [...args, "--registry-retries", "3"], {
      env: { NODE_EXTRA_CA_CERTS: "" },
    });
    const [row] = rows(untrusted);
    expect(row!.slice(1, 3)).toEqual(["none", "unknown"]);
    expect(row![3]).toMatch(new RegExp(`^${tls.host.replace(/\./g, "\\.")}: TLS error: .*certificate`));
    // Not retried: trust does not improve by asking again.
    expect(untrusted.stderr.match(/registry: GET https:\/\/\S+\/v2\/ failed/g)).toHaveLength(1);
    expect(untrusted.stderr).not.toContain("retrying");
  });
});
