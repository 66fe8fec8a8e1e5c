/**
 * A real forward proxy, Debian's tinyproxy, on a free loopback port: CONNECT tunnels for https, absolute
 * URLs for plain http, optionally Basic credentials. Its log tells which requests went through it.
 * It listens on loopback only and lets only loopback clients in.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface HttpProxy {
  /** `127.0.0.1:PORT` */
  address: string;
  /** What went through: `CONNECT host:port` and `GET http://…` lines, in order. */
  requests(): string[];
  stop(): Promise<void>;
}

export async function startHttpProxy(options: { user?: string; password?: string } = {}): Promise<HttpProxy> {
  const dir = mkdtempSync(join(tmpdir(), "kau-tinyproxy-"));
  const port = await freePort();
  const logPath = join(dir, "tinyproxy.log");
  writeFileSync(logPath, "");
  writeFileSync(
    join(dir, "tinyproxy.conf"),
    [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Allow 127.0.0.1",
      "Timeout 60",
      "MaxClients 100",
      `LogFile "${logPath}"`,
      "LogLevel Connect",
      "DisableViaHeader Yes",
      ...(options.user ? [`BasicAuth ${options.user} ${options.password}`] : []),
    ].join("\n") + "\n",
  );
  const child = spawn("tinyproxy", ["-d", "-c", join(dir, "tinyproxy.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  await listening(child, port);
  return {
    address: `127.0.0.1:${port}`,
    requests: () =>
      [...readFileSync(logPath, "utf8").matchAll(/Request \(file descriptor \d+\): (\S+ \S+)/g)].map(
        (m) => m[1]!,
      ),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once("exit", resolve),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on now (tinyproxy cannot be told to pick one and say which). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until the port takes connections. */
async function listening(child: ChildProcess, port: number): Promise<void> {
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited ${child.exitCode}:\n${stderr}`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`tinyproxy did not listen on 127.0.0.1:${port}:\n${stderr}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
