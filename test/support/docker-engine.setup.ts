/**
 * vitest globalSetup: a real Docker engine for the run. Reuses the one in $DOCKER_HOST when test/infra/
 * dockerd.sh started it (test/ci.sh does) and it answers; otherwise starts a private one the same way and
 * stops it after (and its watchdog does, DOCKERD_WATCH_PID, if this process dies first). Never another
 * engine (a developer's own, a remote one): the tests' images and pulls would stay in it, or go over the
 * network. If no engine can run, the run fails: integration tests never skip silently.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    dockerHost: string;
  }
}

const script = join(import.meta.dirname, "..", "infra", "dockerd.sh");

function answers(host: string): boolean {
  try {
    execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], {
      env: { ...process.env, DOCKER_HOST: host },
      stdio: "pipe",
      timeout: 15_000,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the engine at `host` is one test/infra/dockerd.sh started: its socket beside its log, in
 * its directory.
 */
function startedForTests(host: string): boolean {
  const socket = /^unix:\/\/(\/.+)\/docker\.sock$/.exec(host);
  return (
    socket !== null && existsSync(join(socket[1]!, "dockerd.log")) && existsSync(join(socket[1]!, "data"))
  );
}

export default function setup(project: TestProject) {
  const existing = process.env["DOCKER_HOST"];
  if (existing && startedForTests(existing) && answers(existing)) {
    project.provide("dockerHost", existing);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "kau-dockerd-"));
  const out = execFileSync(script, ["start", dir], {
    encoding: "utf8",
    env: { ...process.env, DOCKERD_WATCH_PID: String(process.pid) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const host = /DOCKER_HOST=(\S+)/.exec(out)?.[1];
  if (!host) throw new Error(`dockerd.sh printed no DOCKER_HOST: ${out}`);
  project.provide("dockerHost", host);
  return () => {
    try {
      execFileSync(script, ["stop", dir], { stdio: "inherit" });
    } catch {
      // Not thrown: that would skip the project's other teardowns. dockerd.sh said what is left.
      console.error(`test/infra/dockerd.sh stop ${dir} failed`);
      process.exitCode = 1;
    }
  };
}
