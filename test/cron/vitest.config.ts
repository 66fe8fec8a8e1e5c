import { defineConfig } from "vitest/config";

// Standalone config for the CronJob tests until the lead wires them into a project of vitest.config.ts:
//   npx vitest run --config test/cron/vitest.config.ts
// cluster.test.ts starts a real control plane (test/testbed) in its own beforeAll.
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/cron/**/*.test.ts"],
    env: { FORCE_COLOR: "0", NO_COLOR: "" },
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
