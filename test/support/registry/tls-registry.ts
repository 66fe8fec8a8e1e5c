/**
 * The real registry over https with a certificate from a throwaway test CA, on an address that is not
 * loopback (loopback hosts are always plain http): the integration project's local address
 * (local-address.setup.ts). It serves the storage of a plain loopback registry, which is where tests push
 * (the test engine does not trust the CA).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TlsRegistry {
  /** `IP:PORT` */
  host: string;
  /** The CA's certificate (PEM), for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  stop(): Promise<void>;
}

/** Serves `storageDir` (a registry's filesystem root) over https on `ip`. */
export async function startTlsRegistry(storageDir: string, ip: string): Promise<TlsRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "kau-tls-registry-"));
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=kau-test-ca",
  );
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=kau-test-registry",
  );
  writeFileSync(join(dir, "ext.cnf"), `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`);
  ssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: {level: info, accesslog: {disabled: false}}",
      `storage: {filesystem: {rootdirectory: ${storageDir}}}`,
      `http: {addr: "${ip}:0", tls: {certificate: ${dir}/server.pem, key: ${dir}/server.key}}`,
    ].join("\n"),
  );
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const port = await listening(child);
  return {
    host: `${ip}:${port}`,
    caPath: join(dir, "ca.pem"),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`https registry did not start:\n${log}`)), 15_000);
    child.once("exit", (code) => reject(new Error(`docker-registry exited ${code}:\n${log}`)));
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on [^\s,]*:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
}
