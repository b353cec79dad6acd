import { defineConfig } from "vitest/config";

/**
 * Vitest settings every workspace package shares. Workspace packages resolve to their
 * TypeScript source through the `@patinox/source` export condition, so tests need no build.
 * Each package also writes a JSON report that `.ci/run` adds up into one pass/fail line.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ["@patinox/source", "module", "node", "default"] },
  ssr: { resolve: { conditions: ["@patinox/source"], externalConditions: ["@patinox/source"] } },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "*.test.ts", "**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
  },
});
