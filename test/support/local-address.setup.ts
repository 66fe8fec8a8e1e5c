/**
 * vitest globalSetup: an address of this machine that is not loopback, for what loopback is exempt from
 * (loopback registries are always plain http, and never reached through a proxy). A bridge without ports,
 * kau-local0, holds 198.51.100.7/32 (a documentation range): traffic to it stays on this machine, and the
 * bridge is removed when the run ends (test/ci.sh checks). Needs root, as the whole suite does; without
 * it the run fails rather than skipping those tests. One run per machine at a time, as for the real node.
 */
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    localAddress: string;
  }
}

const bridge = "kau-local0";
const address = "198.51.100.7";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function exists(): boolean {
  try {
    ip("link", "show", bridge);
    return true;
  } catch {
    return false;
  }
}

export default function setup(project: TestProject) {
  // A run killed before its teardown leaves the bridge: this run owns it now.
  if (exists()) ip("link", "del", bridge);
  try {
    ip("link", "add", bridge, "type", "bridge");
    ip("addr", "add", `${address}/32`, "dev", bridge);
    ip("link", "set", bridge, "up");
  } catch (error) {
    if (exists()) ip("link", "del", bridge);
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `cannot give this machine the test address ${address} on ${bridge} (root needed): ${stderr}`,
    );
  }
  project.provide("localAddress", address);
  // Gone already only if another run took it over (one run per machine): its failure is not this run's.
  return () => {
    if (exists()) ip("link", "del", bridge);
  };
}
