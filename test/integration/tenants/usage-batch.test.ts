// The statement a runtime object's usage flush sends (src/metering/usage-sink.ts), run against the
// stack's PostgreSQL: a batch is added once, however often it is sent.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { applyUsageBatch, type UsageBatch } from "../../../src/metering/usage-sink.ts";
import { noUsage, type UsageRow } from "../../../src/core/usage-counts.ts";
import { noOutcomes } from "../../../src/core/outcomes.ts";
import { database, sql } from "../../support/postgres.ts";

const MINUTE = Date.UTC(2026, 11, 4, 10, 15);

function row(tenantId: string, minute: number, counts: Partial<UsageRow>): UsageRow {
  return { tenantId, minute, ...noUsage(), ...counts };
}

const batch = (tenantId: string, rows: UsageRow[]): UsageBatch => ({ id: `test:${randomUUID()}`, tenantId, rows });

async function minutes(tenantId: string) {
  return sql(
    `select (extract(epoch from minute) * 1000)::bigint::text as minute, requests::int, rejected::int, read_ops::int, write_ops::int, bytes_in::int,
            bytes_out::int, connection_seconds::int, peak_connections, messages::int
     from usage_minutes where tenant_id = $1 order by minute`,
    [tenantId],
  );
}

async function totals(tenantId: string) {
  const [totals] = await sql(
    `select requests::int, rejected::int, read_ops::int, write_ops::int, messages::int, outcome_ok::int, outcome_rate_limited::int,
            outcome_client_error::int, last_batch_at is not null as stamped
     from usage_totals where tenant_id = $1`,
    [tenantId],
  );
  return totals;
}

describe("applying a usage batch", () => {
  it("adds a batch into the minutes and the totals once, however often it is sent", async () => {
    const tenant = `t_${randomUUID()}`;
    const sent = batch(tenant, [
      { ...row(tenant, MINUTE, { requests: 5, rejected: 1, readOps: 3, writeOps: 1, bytesIn: 40, bytesOut: 900, peakConnections: 2, messages: 7 }), outcomes: { ...noOutcomes(), ok: 4, rate_limited: 1 } },
      { ...row(tenant, MINUTE + 60_000, { requests: 2, writeOps: 2, connectionSeconds: 30 }), outcomes: { ...noOutcomes(), ok: 1, client_error: 1 } },
    ]);

    expect(await applyUsageBatch(database(), sent)).toBe("applied");
    expect(await applyUsageBatch(database(), sent)).toBe("duplicate");
    expect(await Promise.all([applyUsageBatch(database(), sent), applyUsageBatch(database(), sent)])).toEqual(["duplicate", "duplicate"]);

    expect(await minutes(tenant)).toEqual([
      { minute: String(MINUTE), requests: 5, rejected: 1, read_ops: 3, write_ops: 1, bytes_in: 40, bytes_out: 900, connection_seconds: 0, peak_connections: 2, messages: 7 },
      { minute: String(MINUTE + 60_000), requests: 2, rejected: 0, read_ops: 0, write_ops: 2, bytes_in: 0, bytes_out: 0, connection_seconds: 30, peak_connections: 0, messages: 0 },
    ]);
    expect(await totals(tenant)).toEqual({ requests: 7, rejected: 1, read_ops: 3, write_ops: 3, messages: 7, outcome_ok: 5, outcome_rate_limited: 1, outcome_client_error: 1, stamped: true });
  });

  it("adds a later batch of the same minute to it, keeping the higher connection peak", async () => {
    const tenant = `t_${randomUUID()}`;
    await applyUsageBatch(database(), batch(tenant, [row(tenant, MINUTE, { requests: 3, peakConnections: 4 })]));
    // A batch sealed before outcomes were counted carries none: it adds to the counters, not to the outcomes.
    expect(await applyUsageBatch(database(), batch(tenant, [row(tenant, MINUTE, { requests: 2, readOps: 2, peakConnections: 1 })]))).toBe("applied");

    const [minute] = await minutes(tenant);
    expect(minute).toMatchObject({ requests: 5, read_ops: 2, peak_connections: 4 });
    expect(await totals(tenant)).toMatchObject({ requests: 5, read_ops: 2, outcome_ok: 0 });
  });

  it("claims nothing for an empty batch", async () => {
    const tenant = `t_${randomUUID()}`;
    const empty = batch(tenant, []);
    expect(await applyUsageBatch(database(), empty)).toBe("duplicate");
    expect(await sql(`select id from usage_batches where id = $1`, [empty.id])).toEqual([]);
  });
});
