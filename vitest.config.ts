import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files run in parallel on 2 cores; end-to-end files start their own server processes.
    pool: "forks",
  },
});
