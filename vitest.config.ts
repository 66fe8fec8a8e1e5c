import { defineConfig } from "vitest/config";

// Four kinds of tests, each a project: `npx vitest run --project unit` runs one.
//   unit         pure code and renderers, and adapters against fakes (a few run a small script: sh, a fake kubectl)
//   integration  the CLI against a real Docker engine and real registries (kubectl faked: test/bin/kubectl)
//   e2e          the CLI against a real control plane (test/testbed), with a simulated kubelet, a real
//                node (test/e2e/real-node/: kubelet + containerd) or without nodes (test/e2e/cron/)
//   packaging    the self-contained executables, real krew installing the archives, and the image built
//                and run with the real engine against a real control plane (image.test.ts starts its own)
export default defineConfig({
  test: {
    env: { FORCE_COLOR: "0", NO_COLOR: "" },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          globalSetup: ["test/support/tmpdir.setup.ts"],
          setupFiles: ["test/support/assertions.setup.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: [
            "test/support/tmpdir.setup.ts",
            "test/support/build.setup.ts",
            "test/support/docker-engine.setup.ts",
            "test/support/local-address.setup.ts",
          ],
          setupFiles: ["test/support/assertions.setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: [
            "test/support/tmpdir.setup.ts",
            "test/support/build.setup.ts",
            "test/support/docker-engine.setup.ts",
            "test/support/testbed.setup.ts",
          ],
          setupFiles: ["test/support/assertions.setup.ts"],
          // One control plane for the project: files take turns, so one file's DaemonSets and scheduling
          // never meet another's simulated nodes; and after the other projects, to spare 2-core machines.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: "packaging",
          include: ["test/packaging/**/*.test.ts"],
          globalSetup: [
            "test/support/tmpdir.setup.ts",
            "test/support/build.setup.ts",
            "test/packaging/release.setup.ts",
            "test/support/docker-engine.setup.ts",
          ],
          setupFiles: ["test/support/assertions.setup.ts"],
          // Last: it makes ~600 MB of executables and archives, and its image test starts a control plane.
          sequence: { groupOrder: 3 },
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
