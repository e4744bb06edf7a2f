// Vitest (run under Bun: `bun --bun vitest`) for unit and integration tests next to the code; e2e specs are Playwright's.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["server/**/*.test.ts", "db/**/*.test.ts", "common/**/*.test.ts", "client/**/*.test.ts", "bench/**/*.test.ts", "tools/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
