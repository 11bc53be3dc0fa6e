// The isolate's tally of what it counted alone (src/edge/edge-tally.ts): one report in flight per
// runtime object, what gathers meanwhile going together right after it. The runtime object here is
// a stand-in that records the calls it gets; the real one is tested in test/workerd.
import { describe, expect, it } from "vitest";
import type { TenantContext } from "../../src/core/tenant-context.ts";
import { EdgeTally } from "../../src/edge/edge-tally.ts";

interface Call {
  object: string;
  batchId: { source: string; seq: number };
  requests: number;
  answer(): void;
}

function fakeRuntimes() {
  const calls: Call[] = [];
  const env = {
    RUNTIME_SHARDS: "16",
    TENANT_RUNTIME: {
      idFromName: (name: string) => name,
      get: (object: string) => ({
        recordEdgeCounts: (batchId: { source: string; seq: number }, reports: Array<{ requests: number }>) =>
          new Promise<void>((answer) => calls.push({ object, batchId, requests: reports.reduce((sum, r) => sum + r.requests, 0), answer })),
      }),
    },
  } as unknown as Env;
  return { env, calls };
}

const tenant = { id: "ten_a", isolation: "shared", region: null } as unknown as TenantContext;
const pending: Promise<unknown>[] = [];
const defer = (promise: Promise<unknown>) => void pending.push(promise);
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("edge tally", () => {
  it("reports a lone request's start at once", async () => {
    const { env, calls } = fakeRuntimes();
    const tally = new EdgeTally();
    tally.started(env, tenant, defer);
    await tick();
    expect(calls.map((c) => c.requests)).toEqual([1]);
    calls[0]!.answer();
    await tick();
    tally.started(env, tenant, defer);
    await tick();
    expect(calls.map((c) => c.requests)).toEqual([1, 1]);
  });

  it("sends the starts gathered while a report is under way in one call, once it returns", async () => {
    const { env, calls } = fakeRuntimes();
    const tally = new EdgeTally();
    tally.started(env, tenant, defer);
    await tick();
    for (let i = 0; i < 10; i++) {
      tally.started(env, tenant, defer);
      await tick();
    }
    expect(calls.map((c) => c.requests)).toEqual([1]);
    calls[0]!.answer();
    await tick();
    expect(calls.map((c) => c.requests)).toEqual([1, 10]);
    // Numbered in the order they go: the object takes each once, and a resend never.
    expect(calls.map((c) => c.batchId.seq)).toEqual([1, 2]);
    expect(new Set(calls.map((c) => c.batchId.source)).size).toBe(1);
  });

  it("resolves a report for an object only after the one under way has returned", async () => {
    const { env, calls } = fakeRuntimes();
    const tally = new EdgeTally();
    tally.started(env, tenant, defer);
    await tick();
    let done = false;
    const reported = tally.report(env, calls[0]!.object).then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    calls[0]!.answer();
    await reported;
    expect(done).toBe(true);
  });
});
