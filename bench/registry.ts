/**
 * The images side of the benchmark: a Docker engine (for pushing, the seed's loop and the docker
 * resolver), and a real registry whose access log (one line per request, with its method) is counted.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A Docker engine: the one in $DOCKER_HOST when it is a local socket that answers (a remote one would take
 * the bench's traffic off this machine), else a private one (stopped by `cleanup`).
 */
export function ensureEngine(root: string, work: string, cleanups: (() => void)[]): void {
  const answers = () => {
    try {
      execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], {
        stdio: "pipe",
        timeout: 15_000,
      });
      return true;
    } catch {
      return false;
    }
  };
  if (process.env["DOCKER_HOST"]?.startsWith("unix://") && answers()) return;
  const script = join(root, "test", "infra", "dockerd.sh");
  const dir = join(work, "dockerd");
  const out = execFileSync(script, ["start", dir], { encoding: "utf8" });
  process.env["DOCKER_HOST"] = /DOCKER_HOST=(\S+)/.exec(out)![1];
  cleanups.push(() => execFileSync(script, ["stop", dir], { stdio: "ignore" }));
}

export interface Registry {
  host: string;
  accessLog: string;
}

export async function startRegistry(work: string, cleanups: (() => void)[]): Promise<Registry> {
  const dir = join(work, "registry");
  const config = join(work, "registry.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog: {level: info, accesslog: {disabled: false}}\nstorage: {filesystem: {rootdirectory: ${dir}}}\nhttp: {addr: 127.0.0.1:0}\n`,
  );
  const accessLog = join(work, "access.log");
  writeFileSync(accessLog, "");
  const child = spawn("sh", [
    "-c",
    `exec docker-registry serve ${config} >>${accessLog} 2>${join(work, "registry.err")}`,
  ]);
  cleanups.push(() => child.kill());
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const port = /listening on \S+:(\d+)/.exec(readFileSync(join(work, "registry.err"), "utf8"))?.[1];
    if (port) return { host: `127.0.0.1:${port}`, accessLog };
  }
  throw new Error("the registry did not start");
}

/**
 * The registry farther away: a TCP proxy on loopback that holds every chunk `delayMs` in each direction,
 * so each round trip takes 2 × `delayMs` more, as to a registry across a network. Returns its host:port,
 * for the pods to name; pushes and the access log stay the registry's own.
 */
export async function delayedRegistry(registry: Registry, delayMs: number, cleanups: (() => void)[]) {
  const port = Number(registry.host.split(":")[1]);
  const server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    // Timers of one duration fire in the order they were set: the bytes keep their order.
    const relay = (from: Socket, to: Socket) => {
      from.on("data", (chunk) => setTimeout(() => to.write(chunk), delayMs));
      from.on("end", () => setTimeout(() => to.end(), delayMs));
      from.on("error", () => to.destroy());
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => server.close());
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Builds and pushes `bench-I:latest` with content `version`, four at a time; returns each digest. */
export async function pushAll(
  work: string,
  host: string,
  indexes: readonly number[],
  version: string,
): Promise<Map<number, string>> {
  const digests = new Map<number, string>();
  const queue = [...indexes];
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const ctx = mkdtempSync(join(work, "ctx-"));
      writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\nCOPY content /content\n");
      writeFileSync(join(ctx, "content"), `bench ${i} ${version}`);
      const ref = `${host}/bench-${i}:latest`;
      await run("docker", ["build", "-q", "-t", ref, ctx]);
      const { stdout } = await run("docker", ["push", ref]);
      digests.set(i, /digest: (sha256:[a-f0-9]{64})/.exec(stdout)![1]!);
      rmSync(ctx, { recursive: true });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return digests;
}

/** Manifest HEADs and GETs logged since byte `from` of the access log. */
export function countRequests(accessLog: string, from: number): { heads: number; gets: number } {
  const added = readFileSync(accessLog, "utf8").slice(from);
  return {
    heads: (added.match(/"HEAD \/v2\/[^"]*\/manifests\//g) ?? []).length,
    gets: (added.match(/"GET \/v2\/[^"]*\/manifests\//g) ?? []).length,
  };
}

/** The seed's loop over `images` (one per pod): docker pull, then RepoDigests[0] against what runs. */
export async function seedLoop(pods: Iterable<{ image: string; running: string }>): Promise<number> {
  let stale = 0;
  for (const pod of pods) {
    await run("docker", ["pull", "-q", pod.image]);
    const { stdout } = await run("docker", [
      "image",
      "inspect",
      "--format",
      "{{index .RepoDigests 0}}",
      pod.image,
    ]);
    if (stdout.trim().split("@")[1] !== pod.running) stale++;
  }
  return stale;
}
