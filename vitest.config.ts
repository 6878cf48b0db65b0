import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // kustomize and helm for the render tests, built once from the Go module proxy (cached) when Go is here.
    globalSetup: ["test/support/render-tools-setup.ts"],
    // Integration tests start real HTTPS servers and git processes; two cores are shared.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
