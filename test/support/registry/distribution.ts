/**
 * A real distribution registry (Debian's docker-registry) on a free port, of loopback unless told, per test
 * file: anonymous, htpasswd (Basic), or `auth: token` (Bearer, verified against a test signing key).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RegistryAuth {
  htpasswd?: { user: string; password: string };
  /** Bearer tokens: the registry trusts `rootCertBundle` and sends clients to `realm`. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

/** A registry without auth. */
export const anonymous: RegistryAuth = {};

export interface Registry {
  /** `127.0.0.1:PORT`, or the address it was started on */
  host: string;
  dir: string;
  stop(): Promise<void>;
  /** The registry's log, to count requests by method. */
  log(): string;
}

/** `address`: where it listens, loopback unless a test needs another of this machine's addresses. */
export async function startRegistry(auth: RegistryAuth = {}, address = "127.0.0.1"): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), "kau-registry-"));
  const lines = [
    "version: 0.1",
    "log: {level: info, accesslog: {disabled: false}}",
    `storage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: true}}`,
    `http: {addr: "${address}:0"}`,
  ];
  if (auth.htpasswd) {
    const entry = execFileSync("htpasswd", ["-Bbn", auth.htpasswd.user, auth.htpasswd.password], {
      encoding: "utf8",
    });
    writeFileSync(join(dir, "htpasswd"), entry.trim() + "\n");
    lines.push(`auth: {htpasswd: {realm: test, path: ${dir}/htpasswd}}`);
  } else if (auth.token) {
    const t = auth.token;
    lines.push(
      `auth: {token: {realm: "${t.realm}", service: "${t.service}", issuer: "${t.issuer}", rootcertbundle: ${t.rootCertBundle}}}`,
    );
  }
  writeFileSync(join(dir, "config.yml"), lines.join("\n") + "\n");
  const logPath = join(dir, "registry.log");
  writeFileSync(logPath, "");
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const host = `${address}:${await listeningPort(child, logPath)}`;
  return {
    host,
    dir,
    log: () => readFileSync(logPath, "utf8"),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The registry logs `listening on ADDRESS:PORT` once it accepts connections. */
function listeningPort(child: ChildProcess, logPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`registry did not start:\n${log}`)), 15_000);
    child.once("error", (error) => reject(new Error(`docker-registry could not start: ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`docker-registry exited ${code}:\n${log}`)));
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      appendFileSync(logPath, chunk);
      const match = /listening on \S+:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
}
