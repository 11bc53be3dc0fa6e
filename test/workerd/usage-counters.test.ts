// The runtime object's usage counters (src/runtime/usage-counters.ts) in workerd's SQLite.
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { minuteOf, UsageCounters } from "../../durable-objects/tenant-runtime/usage-counters.ts";
import { noOutcomes } from "../../src/core/outcomes.ts";
import { harness, inside } from "./harness.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const zero = { requests: 0, rejected: 0, readOps: 0, writeOps: 0, bytesIn: 0, bytesOut: 0, connectionSeconds: 0, peakConnections: 0, messages: 0, outcomes: noOutcomes() };

describe("UsageCounters", () => {
  it("adds every delta of one minute into one row, exactly", async () => {
    await inside(harness(), ({ counters }) => {
      for (let i = 0; i < 250; i++) {
        counters.add("ten_a", { requests: 1, readOps: i % 2, writeOps: 1 - (i % 2), bytesIn: 3, bytesOut: 7 }, T0 + (i % 60) * 1000);
      }
      counters.add("ten_a", { rejected: 2, messages: 5, connectionSeconds: 11 }, T0 + 59_999);
      expect(counters.take()).toEqual([
        { ...zero, tenantId: "ten_a", minute: T0, requests: 250, rejected: 2, readOps: 125, writeOps: 125, bytesIn: 750, bytesOut: 1750, connectionSeconds: 11, messages: 5 },
      ]);
    });
  });

  it("counts each request's outcome beside its usage, one outcome a request", async () => {
    await inside(harness(), ({ counters }) => {
      counters.add("ten_a", { requests: 1, outcome: "ok" }, T0);
      counters.add("ten_a", { requests: 1, outcome: "ok" }, T0 + 1);
      counters.add("ten_a", { outcome: "client_error" }, T0 + 2);
      counters.add("ten_a", { rejected: 1, outcome: "quota_exceeded" }, T0 + 3);
      counters.add("ten_a", { bytesIn: 5 }, T0 + 4);
      const [row] = counters.take();
      expect(row!.outcomes).toEqual({ ...noOutcomes(), ok: 2, client_error: 1, quota_exceeded: 1 });
      expect(row!.requests).toBe(2);
    });
  });

  it("adds a batch of refusals an edge reported (several outcomes at once) into the minute they happened in", async () => {
    await inside(harness(), ({ counters }) => {
      counters.add("ten_a", { requests: 1, outcome: "ok" }, T0 + MINUTE);
      // Reported in the next minute, counted in its own.
      counters.add("ten_a", { rejected: 7, outcomes: { rate_limited: 5, quota_exceeded: 2, client_error: 3 } }, T0);
      const rows = counters.take();
      expect(rows.map((row) => [row.minute, row.rejected, row.requests])).toEqual([
        [T0, 7, 0],
        [T0 + MINUTE, 0, 1],
      ]);
      expect(rows[0]!.outcomes).toEqual({ ...noOutcomes(), rate_limited: 5, quota_exceeded: 2, client_error: 3 });
    });
  });

  it("adds the outcome columns to a table that predates them, keeping its counts", async () => {
    await inside(harness(), (_object, state) => {
      const sql = state.storage.sql;
      sql.exec("drop table usage");
      sql.exec(`create table usage (tenant_id text not null, minute integer not null, requests integer not null default 0,
        rejected integer not null default 0, read_ops integer not null default 0, write_ops integer not null default 0,
        bytes_in integer not null default 0, bytes_out integer not null default 0, connection_seconds integer not null default 0,
        peak_connections integer not null default 0, messages integer not null default 0, primary key (tenant_id, minute))`);
      sql.exec("insert into usage (tenant_id, minute, requests) values ('ten_old', ?, 3)", T0);
      const counters = new UsageCounters(sql);
      counters.add("ten_old", { requests: 1, outcome: "ok" }, T0);
      expect(counters.take()).toEqual([{ ...zero, tenantId: "ten_old", minute: T0, requests: 4, outcomes: { ...noOutcomes(), ok: 1 } }]);
    });
  });

  it("keeps the peak of concurrent connections per minute, not their sum", async () => {
    await inside(harness(), ({ counters }) => {
      counters.add("ten_a", { connections: 3 }, T0);
      counters.add("ten_a", { connections: 7 }, T0 + 1);
      counters.add("ten_a", { connections: 2 }, T0 + 2);
      expect(counters.take()[0]!.peakConnections).toBe(7);
    });
  });

  it("starts a new row at each minute boundary and for each tenant", async () => {
    expect(minuteOf(T0 + MINUTE - 1)).toBe(T0);
    expect(minuteOf(T0 + MINUTE)).toBe(T0 + MINUTE);
    await inside(harness(), ({ counters }) => {
      counters.add("ten_a", { requests: 1 }, T0 + MINUTE - 1);
      counters.add("ten_a", { requests: 2 }, T0 + MINUTE);
      counters.add("ten_b", { requests: 4 }, T0);
      const rows = counters.take().map(({ tenantId, minute, requests }) => ({ tenantId, minute, requests }));
      expect(rows).toEqual([
        { tenantId: "ten_a", minute: T0, requests: 1 },
        { tenantId: "ten_a", minute: T0 + MINUTE, requests: 2 },
        { tenantId: "ten_b", minute: T0, requests: 4 },
      ]);
    });
  });

  it("takes one tenant's rows and leaves the others'; a take empties what it took", async () => {
    await inside(harness(), ({ counters }) => {
      expect(counters.hasPending()).toBe(false);
      counters.add("ten_a", { requests: 1 }, T0);
      counters.add("ten_b", { requests: 2 }, T0);
      expect(counters.hasPending()).toBe(true);
      expect(counters.take("ten_a").map((row) => row.requests)).toEqual([1]);
      expect(counters.take("ten_a")).toEqual([]);
      expect(counters.take().map((row) => [row.tenantId, row.requests])).toEqual([["ten_b", 2]]);
      expect(counters.hasPending()).toBe(false);
    });
  });

  it("purges one tenant's counts only", async () => {
    await inside(harness(), ({ counters }) => {
      counters.add("ten_a", { requests: 1 }, T0);
      counters.add("ten_b", { requests: 2 }, T0);
      counters.purge("ten_a");
      expect(counters.take().map((row) => row.tenantId)).toEqual(["ten_b"]);
    });
  });

  it("survives a restart of the object: counts before and after add up", async () => {
    const stub = harness();
    const before = await inside(stub, ({ counters, instance }) => {
      for (let i = 0; i < 40; i++) counters.add("ten_a", { requests: 1, bytesIn: 10 }, T0 + i);
      return instance;
    });
    await evictDurableObject(stub);
    await inside(stub, ({ counters, instance }) => {
      expect(instance).not.toBe(before);
      for (let i = 0; i < 2; i++) counters.add("ten_a", { requests: 1, bytesIn: 10 }, T0 + 100 + i);
      expect(counters.take()).toEqual([{ ...zero, tenantId: "ten_a", minute: T0, requests: 42, bytesIn: 420 }]);
    });
  });
});
