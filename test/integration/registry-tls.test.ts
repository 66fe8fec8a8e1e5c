/**
 * https to a real registry whose certificate comes from a private CA: trusted through NODE_EXTRA_CA_CERTS
 * (Node's fetch uses the system store plus that file), a TLS error — `unknown`, not retried — without it.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentPod, removeTempDirs, rows, runPlan } from "../registry/harness.js";
import { startTlsRegistry, type TlsRegistry } from "../registry/tls-registry.js";
import { FakeCluster } from "../support/cli.js";
import { pushImage } from "../support/images.js";
import { makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry.js";

let plain: Registry;
let tls: TlsRegistry;

beforeAll(async () => {
  plain = await startRegistry();
  tls = await startTlsRegistry(join(plain.dir, "data"));
});
afterAll(async () => {
  removeTempDirs();
  await tls?.stop();
  await plain?.stop();
});

describe("registry resolver over https", () => {
  it("trusts a private CA from NODE_EXTRA_CA_CERTS; without it, a TLS error leaves the image unknown", async () => {
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
