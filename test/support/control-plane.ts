// Helpers of the control-plane suites: direct looks into Upstash, test hooks, waits, audit and usage.
// Postgres helpers are in postgres.ts.
import { Redis } from "@upstash/redis";
import { expect, inject } from "vitest";
import { admin, baseUrl, eventually } from "./api.ts";
import { activeTenant } from "./tenants.ts";


/** The JWT_SECRET global-setup gives the Worker. */
export const TEST_JWT_SECRET = "integration-tests-only-jwt-secret-0123456789";

let redis: Redis | undefined;

export function upstash(): Redis {
  redis ??= new Redis({ url: inject("upstashUrl"), token: inject("upstashToken"), enableTelemetry: false });
  return redis;
}

export async function redisKeys(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await upstash().scan(cursor, { match: pattern, count: 1000 });
    found.push(...keys);
    cursor = String(next);
  } while (cursor !== "0");
  return found.sort();
}

export const tenantRedisKeys = (tenantId: string) => redisKeys(`tenantry:tenant:${tenantId}*`);

export async function getTenant(id: string): Promise<any> {
  const response = await admin("GET", `/v1/tenants/${id}`);
  if (response.status !== 200) throw new Error(`GET tenant ${id}: ${response.status} ${response.text}`);
  return response.body;
}

export async function waitForStatus(id: string, status: string, timeoutMs = 25_000): Promise<any> {
  return eventually(async () => {
    const tenant = await getTenant(id);
    return tenant.status === status ? tenant : undefined;
  }, timeoutMs);
}

/** Waits until provisioning has nothing left to do (run succeeded or failed). */
export async function waitForRun(id: string, state: "succeeded" | "failed", timeoutMs = 25_000): Promise<any> {
  return eventually(async () => {
    const tenant = await getTenant(id);
    return tenant.provisioning.state === state ? tenant : undefined;
  }, timeoutMs);
}

/** An active tenant and its first API key, as POST /v1/tenants answered them. */
export async function createActive(body: Record<string, unknown> = {}) {
  const { tenant, apiKey } = await activeTenant(body);
  return { tenant, apiKey };
}

/** Flushes the tenant's usage to Postgres and returns its totals for today. */
export async function flushedUsageTotals(tenant: { id: string }) {
  expect((await admin("POST", `/v1/tenants/${tenant.id}/usage/flush`)).status).toBe(200);
  const response = await admin("GET", `/v1/tenants/${tenant.id}/usage?granularity=day`);
  expect(response.status).toBe(200);
  return response.body.totals;
}

export async function auditEvents(tenantId: string, action?: string): Promise<any[]> {
  const events: any[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "100" });
    if (action) query.set("action", action);
    if (cursor) query.set("cursor", cursor);
    const response = await admin("GET", `/v1/tenants/${tenantId}/audit?${query}`);
    if (response.status !== 200) throw new Error(`audit: ${response.status} ${response.text}`);
    events.push(...response.body.data);
    cursor = response.body.nextCursor;
  } while (cursor);
  return events;
}

export async function deliver(tenantId: string, times: number): Promise<void> {
  const response = await admin("POST", "/v1/_test/provisioning/deliver", { body: { tenantId, times } });
  if (response.status !== 202) throw new Error(`deliver: ${response.status} ${response.text}`);
}

/** The step fails the next `times` runs of the tenant with this id or name (a name can be armed before creation). */
export async function injectFault(target: { tenantId: string } | { tenantName: string }, step: string, times: number): Promise<void> {
  const response = await admin("PUT", "/v1/_test/provisioning/faults", { body: { ...target, step, times } });
  if (response.status !== 204) throw new Error(`fault: ${response.status} ${response.text}`);
}

/** Runs the Worker's cron handler now (Miniflare's trigger route, local stack only). */
export async function triggerScheduled(): Promise<void> {
  const response = await fetch(`${baseUrl()}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
  if (response.status !== 200) throw new Error(`scheduled handler: ${response.status} ${await response.text()}`);
  await response.text();
}

export const stepsByName = (tenant: any): Record<string, any> =>
  Object.fromEntries(tenant.provisioning.steps.map((step: any) => [step.name, step]));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
