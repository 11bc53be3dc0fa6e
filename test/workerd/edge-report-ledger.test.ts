// The runtime object's ledger of refusal batches edge isolates reported (a resend counts once).
import { describe, expect, it } from "vitest";
import { EdgeReportLedger } from "../../durable-objects/tenant-runtime/edge-report-ledger.ts";
import { harness, inside } from "./harness.ts";

describe("EdgeReportLedger", () => {
  it("accepts a batch id once, also after the object was rebuilt over the same storage", async () => {
    const stub = harness();
    await inside(stub, (_, state) => {
      const ledger = new EdgeReportLedger(state.storage.sql);
      expect(ledger.accept("batch-1", 1000)).toBe(true);
      expect(ledger.accept("batch-1", 1001)).toBe(false);
      expect(ledger.accept("batch-2", 1002)).toBe(true);
    });
    await inside(stub, (_, state) => {
      expect(new EdgeReportLedger(state.storage.sql).accept("batch-1", 2000)).toBe(false);
    });
  });

  it("forgets ids after ten minutes, so the table does not grow", async () => {
    await inside(harness(), (_, state) => {
      const ledger = new EdgeReportLedger(state.storage.sql);
      for (let i = 0; i < 50; i++) ledger.accept(`old-${i}`, 0);
      ledger.accept("new", 10 * 60_000 + 1);
      expect(state.storage.sql.exec<{ n: number }>("select count(*) as n from edge_reports").one().n).toBe(1);
    });
  });
});
