// Shared by the maps suites: both isolation tiers and raw HTTP for paths fetch would normalise.
import http from "node:http";
import { expect } from "vitest";
import { admin, baseUrl, type ApiResponse } from "./api.ts";
import { activeTenant, type ActiveTenant } from "./tenants.ts";


export const TIERS = [
  { tier: "shared", plan: "pro" },
  { tier: "dedicated", plan: "enterprise" },
] as const;

export type Tier = (typeof TIERS)[number]["tier"];

/** Rate and concurrency limits out of the way of suites that are not about them. */
const ROOMY = { requestsPerSecond: 1000, burst: 2000, maxConcurrentRequests: 100 };

/** An active tenant on the given tier (enterprise tenants start dedicated). */
export async function tenantOn(tier: Tier, overrides: Record<string, unknown> = {}): Promise<ActiveTenant> {
  const plan = TIERS.find((entry) => entry.tier === tier)!.plan;
  const tenant = await activeTenant({ plan, overrides: { ...ROOMY, ...overrides } });
  expect(tenant.tenant.isolation).toBe(tier);
  return tenant;
}

/** Puts every entry, a few at a time, and insists each one was stored. */
export async function putAll(tenant: ActiveTenant, map: string, entries: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
  for (let i = 0; i < entries.length; i += 20) {
    const batch = entries.slice(i, i + 20);
    const answers = await Promise.all(batch.map(([key, value]) => tenant.call("PUT", recordPath(map, key), { body: value })));
    answers.forEach((answer, j) => expect(answer.status, `PUT ${map}/${batch[j]![0]}: ${answer.text}`).toBe(200));
  }
}

export const recordPath = (map: string, key: string) => `/v1/maps/${encodeURIComponent(map)}/${encodeURIComponent(key)}`;

/** Sends the request line exactly as written: fetch would resolve `..` and `\` before sending. */
export function rawCall(
  method: string,
  path: string,
  token: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const url = new URL(baseUrl());
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  return new Promise((resolve, reject) => {
    // A connection of its own: a kept-alive socket left idle since an earlier call may be closed by
    // the server just as it is reused ("socket hang up"), which is the client's race, not the answer.
    const request = http.request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (typeof value === "string") responseHeaders.set(name, value);
        }
        resolve({ status: response.statusCode ?? 0, headers: responseHeaders, body, text });
      });
    });
    request.on("error", reject);
    request.end(options.body);
  });
}

export async function readOnlyKey(tenantId: string): Promise<string> {
  const response = await admin("POST", `/v1/tenants/${tenantId}/keys`, { body: { name: "reader", scopes: ["read"] } });
  if (response.status !== 201) throw new Error(`create read key: ${response.status} ${response.text}`);
  expect(response.body.scopes).toEqual(["read"]);
  return response.body.key as string;
}

/** Keys as the byte order of their UTF-8 encoding sorts them (the contract's list order). */
export function byteOrder(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
}
