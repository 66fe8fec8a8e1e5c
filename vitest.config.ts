import { defineConfig } from "vitest/config";

// Three kinds of tests, each a project: `npx vitest run --project unit` runs one.
//   unit         pure code and renderers, no processes
//   integration  the built CLI against a real Docker engine and real registries (kubectl faked on PATH)
//   e2e          the built CLI against a real control plane (test/testbed) with a simulated kubelet
export default defineConfig({
  test: {
    env: { FORCE_COLOR: "0", NO_COLOR: "" },
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/support/build.setup.ts", "test/support/docker-engine.setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
