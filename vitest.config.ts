import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // kustomize and helm for the render tests, built once from the Go module proxy (cached) when Go is here.
    // An sshd for the SSH transport tests, Debian's unpacked into a cache when none is installed.
    globalSetup: ["test/support/render-tools-setup.ts", "test/support/sshd-setup.ts"],
    // Integration tests start real HTTPS servers and git processes; two cores are shared.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
