/// <reference types="@cloudflare/vitest-plugin/types" />
import type { TablesHarness } from "./tables-harness.ts";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Only in the `workerd` test project (vitest.config.ts). */
      TABLES_HARNESS: DurableObjectNamespace<TablesHarness>;
    }
  }
}
