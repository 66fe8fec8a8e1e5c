/**
 * A signal while a long plan is printed, its reader behind (a pager, a slow terminal): the plan stops there,
 * as kubectl's output does, and the run fails as interrupted; it no longer prints the rest and exits 0. The
 * built CLI against the fake kubectl; pods pinned by digest, so nothing is resolved.
 */
import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { cliPath } from "../support/cli.js";
import { FakeCluster } from "../support/fake-kubectl.js";
import { digestOf, makePod } from "../support/pods.js";

const digest = digestOf("pinned");
const pods = Array.from({ length: 3000 }, (_, i) =>
  makePod({
    name: `pinned-${i}`,
    namespace: "shop",
    owner: null,
    containers: [{ name: "app", image: `registry.example/shop/app@${digest}`, runningDigest: digest }],
  }),
);
const cluster = new FakeCluster({ pods });

it("SIGTERM while the plan is printed: exit 1, one error line, the plan cut short", async () => {
  const child = spawn(process.execPath, [cliPath, "plan", "-n", "shop", "-o", "json"], {
    env: { ...process.env, NO_COLOR: "1", ...cluster.env() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const ended = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // Unread, the pipe fills: the plan waits for its reader once it has begun.
  const deadline = Date.now() + 60_000;
  while (child.stdout.readableLength === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(child.stdout.readableLength).toBeGreaterThan(0);
  child.kill("SIGTERM");
  let stdout = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  expect(await ended).toBe(1);
  expect(stderr.split("\n").filter(Boolean)).toEqual([
    "error: interrupted while the plan was printed: what was printed is incomplete",
  ]);
  expect(stdout.length).toBeGreaterThan(0);
  expect(() => JSON.parse(stdout)).toThrow();
});
