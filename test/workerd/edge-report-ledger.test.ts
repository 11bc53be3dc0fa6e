// The runtime object's ledger of the tally batches edge isolates reported (a resend counts once).
import { describe, expect, it } from "vitest";
import { EdgeReportLedger } from "../../durable-objects/tenant-runtime/edge-report-ledger.ts";
import { harness, inside } from "./harness.ts";

describe("EdgeReportLedger", () => {
  it("accepts each isolate's batch once, also after the object was rebuilt over the same storage", async () => {
    const stub = harness();
    await inside(stub, (_, state) => {
      const ledger = new EdgeReportLedger(state.storage.sql);
      expect(ledger.accept({ source: "isolate-a", seq: 1 }, 1000)).toBe(true);
      expect(ledger.accept({ source: "isolate-a", seq: 1 }, 1001)).toBe(false);
      expect(ledger.accept({ source: "isolate-a", seq: 3 }, 1002)).toBe(true);
      // Another isolate's numbers are its own.
      expect(ledger.accept({ source: "isolate-b", seq: 1 }, 1003)).toBe(true);
    });
    await inside(stub, (_, state) => {
      const ledger = new EdgeReportLedger(state.storage.sql);
      expect(ledger.accept({ source: "isolate-a", seq: 3 }, 2000)).toBe(false);
      expect(ledger.accept({ source: "isolate-a", seq: 2 }, 2001)).toBe(false);
      expect(ledger.accept({ source: "isolate-a", seq: 4 }, 2002)).toBe(true);
    });
  });

  it("forgets isolates silent for ten minutes, so the table does not grow", async () => {
    await inside(harness(), (_, state) => {
      const ledger = new EdgeReportLedger(state.storage.sql);
      for (let i = 0; i < 50; i++) ledger.accept({ source: `old-${i}`, seq: 1 }, 0);
      ledger.accept({ source: "new", seq: 1 }, 10 * 60_000 + 1);
      expect(state.storage.sql.exec<{ n: number }>("select count(*) as n from edge_sources").one().n).toBe(1);
    });
  });
});
