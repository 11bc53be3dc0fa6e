import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        // Inside workerd: the runtime Durable Object's SQLite-backed tables, in a harness object of their own.
        plugins: [
          cloudflareTest({
            main: "test/workerd/tables-harness.ts",
            miniflare: {
              compatibilityDate: "2026-04-20",
              compatibilityFlags: ["nodejs_compat"],
              durableObjects: { TABLES_HARNESS: { className: "TablesHarness", useSQLite: true } },
            },
          }),
        ],
        test: {
          name: "workerd",
          include: ["test/workerd/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "build",
          include: ["test/build/**/*.test.ts"],
          testTimeout: 180_000,
        },
      },
      {
        test: {
          name: "bridge",
          include: ["test/bridge/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          // One local stack serves every file; outage tests stop its parts, so files run one at a time.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
