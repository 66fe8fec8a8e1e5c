/**
 * vitest globalSetup: a real Kubernetes control plane for the e2e project. Builds the binaries or reuses the
 * cache (test/testbed/build.sh; a cold build's progress shows on stderr as it goes), starts etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler in a temporary directory
 * (test/testbed/start.sh), hands KUBECONFIG and the bin directory to the tests (`inject("testbed")`), and
 * stops everything at teardown (test/testbed/stop.sh). If the run dies without a teardown, start.sh's
 * watchdog (TESTBED_WATCH_PID) stops it. The scripts run through test/testbed/scripts.ts (timeouts kill their
 * whole process group). Any failure fails the run: a missing control plane is never a skip.
 */
import type { TestProject } from "vitest/node";
import { launchTestbed } from "../testbed/scripts.js";

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

export default async function setup(project: TestProject) {
  const t0 = Date.now();
  const { stop, ...info } = await launchTestbed("kau-e2e-testbed-");
  project.provide("testbed", info);
  console.error(
    `testbed: control plane up in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${info.apiserver}`,
  );
  return async () => {
    await stop().catch((error: Error) => {
      // Not thrown: that would skip the project's other teardowns (the Docker engine, the run's TMPDIR).
      console.error(error.message);
      process.exitCode = 1;
    });
  };
}
