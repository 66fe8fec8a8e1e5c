/**
 * vitest globalSetup: a real Kubernetes control plane for the e2e project. Builds the binaries or reuses
 * the cache (test/testbed/build.sh), starts etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler in a temporary directory (test/testbed/start.sh), hands KUBECONFIG and the bin directory
 * to the tests (`inject("testbed")`), and stops everything at teardown (test/testbed/stop.sh). If the
 * run dies without a teardown, start.sh's watchdog (TESTBED_WATCH_PID) stops it. Any failure fails the run:
 * a missing control plane is never a skip.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

export interface TestbedInfo {
  /** The admin (system:masters) kubeconfig, context "testbed", namespace default. */
  kubeconfig: string;
  /** Directory of kubectl, kube-apiserver… (v1.35.4). */
  bin: string;
  apiserver: string;
  dir: string;
  ca: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    testbed: TestbedInfo;
  }
}

const scripts = resolve(import.meta.dirname, "..", "testbed");

function run(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(
      join(scripts, script),
      args,
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 60 * 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          fail(
            new Error(
              `test/testbed/${script} failed (${error.code ?? error.signal}):\n${stderr.slice(-4000)}`,
            ),
          );
        } else done({ stdout, stderr });
      },
    );
  });
}

export default async function setup(project: TestProject) {
  const t0 = Date.now();
  // Cached: a fraction of a second. Cold: ~20 min on 2 cores (go build from the module proxy).
  const bin = (await run("build.sh", [])).stdout.trim().split("\n").pop()!;
  const dir = mkdtempSync(join(tmpdir(), "kau-e2e-testbed-"));
  const stop = () => {
    const result = spawnSync(join(scripts, "stop.sh"), [dir], { stdio: ["ignore", "inherit", "inherit"] });
    if (result.status !== 0) console.error(`test/testbed/stop.sh ${dir} exited ${result.status}`);
  };
  try {
    await run("start.sh", [dir], {
      TESTBED_BIN: bin,
      TESTBED_WATCH_PID: String(process.pid),
      TESTBED_START_TIMEOUT: "180",
    });
  } catch (error) {
    stop();
    throw error;
  }
  const env = Object.fromEntries(
    readFileSync(join(dir, "env"), "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [
        line.slice(0, line.indexOf("=")),
        line.slice(line.indexOf("=") + 1).replace(/^'(.*)'$/, "$1"),
      ]),
  );
  project.provide("testbed", {
    kubeconfig: env["KUBECONFIG"]!,
    bin: env["TESTBED_BIN"]!,
    apiserver: env["TESTBED_APISERVER"]!,
    dir,
    ca: env["TESTBED_CA"]!,
  });
  console.error(
    `testbed: control plane up in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${env["TESTBED_APISERVER"]}`,
  );
  return stop;
}
