/**
 * First-run failures against the real control plane, as kubectl 1.35 really fails: a closed port, a server
 * that never answers (kubectl's own timeout, and --request-timeout's), a token the API server refuses, and a
 * client certificate signed by the test bed's CA that expired (made here with openssl). Each ends in the
 * plugin's one line naming the kubeconfig and context, never kubectl's klog lines.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { plugin, testbed } from "../support/e2e.js";

/** A kubeconfig for the test bed's API server (or `server`), context "first-run", with this user. */
function kubeconfig(name: string, user: string[], server = testbed().apiserver): string {
  const path = join(testbed().dir, `first-run-${name}.kubeconfig`);
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: testbed",
      "  cluster:",
      `    server: ${server}`,
      `    certificate-authority: ${testbed().ca}`,
      "users:",
      "- name: newcomer",
      "  user:",
      ...user.map((line) => `    ${line}`),
      "contexts:",
      "- name: first-run",
      "  context: {cluster: testbed, user: newcomer}",
      "current-context: first-run",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return path;
}

/** A client certificate of the test bed's CA, valid in 2020 only. */
function expiredCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(testbed().dir, "first-run-ca-"));
  const ca = testbed().ca;
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ca]",
      "default_ca = testbed",
      "[testbed]",
      "database = index.txt",
      "new_certs_dir = .",
      "serial = serial",
      "default_md = sha256",
      "policy = any",
      "x509_extensions = client",
      "[any]",
      "organizationName = optional",
      "commonName = supplied",
      "[client]",
      "keyUsage = critical, digitalSignature",
      "extendedKeyUsage = clientAuth",
      "",
    ].join("\n"),
  );
  run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "user.key"]);
  run(["req", "-new", "-key", "user.key", "-subj", "/O=system:masters/CN=expired-admin", "-out", "user.csr"]);
  run([
    "ca",
    "-config",
    "ca.cnf",
    "-batch",
    "-notext",
    "-cert",
    ca,
    "-keyfile",
    join(ca, "..", "ca.key"),
    "-in",
    "user.csr",
    "-out",
    "user.crt",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200102000000Z",
  ]);
  return { cert: join(dir, "user.crt"), key: join(dir, "user.key") };
}

/** A loopback port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A loopback port that takes connections and never answers (a server hung, a firewall that drops). */
async function silentPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const { createServer } = await import("node:net");
  const held = new Set<import("node:net").Socket>();
  const server = createServer((socket) => {
    held.add(socket);
    socket.on("close", () => held.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  const close = async () => {
    for (const socket of held) socket.destroy();
    await new Promise((done) => server.close(done));
  };
  return { port, close };
}

describe("plan against a cluster it cannot use", () => {
  it.each([
    ["kubectl's own TLS handshake timeout", [], ""],
    ["--request-timeout", ["--request-timeout", "2s"], " --request-timeout=2s"],
  ])("a server that never answers (%s): did not answer in time, with what to try", async (_, args, flag) => {
    const silent = await silentPort();
    onTestFinished(silent.close);
    const server = `https://127.0.0.1:${silent.port}`;
    const path = kubeconfig("silent", ["token: unused"], server);
    const result = await plugin(["plan", ...args], { KUBECONFIG: path });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `error: cannot reach the cluster of context "first-run" (kubeconfig ${path} from $KUBECONFIG): ${server} did not answer in time; is the cluster running, and reachable from here (VPN, firewall)? (kubectl --context first-run${flag} cluster-info)\n`,
    );
  });

  it("a closed port: cannot reach the cluster of the context, with the kubeconfig and what to try", async () => {
    const port = await closedPort();
    const path = kubeconfig("closed", ["token: unused"], `https://127.0.0.1:${port}`);
    const result = await plugin(["plan"], { KUBECONFIG: path });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `error: cannot reach the cluster of context "first-run" (kubeconfig ${path} from $KUBECONFIG): https://127.0.0.1:${port} refused the connection; is the cluster running? (kubectl --context first-run cluster-info)\n`,
    );
  });

  it("a token the API server refuses", async () => {
    const path = kubeconfig("bad-token", ["token: not-a-token-of-this-cluster"]);
    const result = await plugin(["plan", "--kubeconfig", path, "-A"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: the cluster of context "first-run" (kubeconfig ${path}) rejected the credentials of user "newcomer" (Unauthorized): its token is invalid or has expired; get a new token or a current kubeconfig from your cluster's provider\n`,
    );
  });

  it("an expired client certificate, named with its end date", async () => {
    const { cert, key } = expiredCertificate();
    const path = kubeconfig("expired", [`client-certificate: ${cert}`, `client-key: ${key}`]);
    const result = await plugin(["plan"], { KUBECONFIG: path });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: the cluster of context "first-run" (kubeconfig ${path} from $KUBECONFIG) rejected the credentials of user "newcomer" (Unauthorized): its client certificate expired on 2020-01-02 00:00 UTC; renew it or get a current kubeconfig from your cluster's provider\n`,
    );
  });

  it("the same certificate inline (client-certificate-data): its date is still read, its key never", async () => {
    const { cert, key } = expiredCertificate();
    const data = (file: string) => readFileSync(file).toString("base64");
    const path = kubeconfig("expired-inline", [
      `client-certificate-data: ${data(cert)}`,
      `client-key-data: ${data(key)}`,
    ]);
    const result = await plugin(["plan", "--verbose"], { KUBECONFIG: path });
    expect(result.stderr).toContain("its client certificate expired on 2020-01-02 00:00 UTC");
    // --verbose shows kubectl's own lines too; the key never reaches the output.
    expect(result.stderr).toContain("kubectl's output:\n");
    expect(result.stderr).not.toContain(data(key));
  });
});
