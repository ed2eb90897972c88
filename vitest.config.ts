import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests wait on evidence (an event, a counter, a state), never on a deadline; these bounds only end a
    // test that hangs, and are generous so that a machine kept busy by other processes stays green.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Test files run in parallel on 2 cores; end-to-end files start their own server processes.
    pool: "forks",
  },
});
