import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real HTTPS servers and git processes; two cores are shared.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
