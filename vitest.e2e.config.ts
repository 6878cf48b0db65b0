import { defineConfig } from "vitest/config";

// The e2e suite: one real control plane (test/e2e/global-setup.ts) shared by every file, so files run one
// after another; kubectl calls and the API server's own timeouts bound each test.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    // kustomize and helm first (the unit suite's setup: scripts/render-tools.sh, cached), for the rendered apps.
    globalSetup: ["test/support/render-tools-setup.ts", "test/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
