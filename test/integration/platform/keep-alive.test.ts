// Clients keep connections alive (Node's and browsers' defaults). A request answered before its
// body was read (401, 429, 403 …) must not cost the next request on the same connection.
import http from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { admin, baseUrl } from "../../support/api.ts";
import { activeTenant } from "../../support/tenants.ts";

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

/** One request over the single kept-alive socket; the socket it went over comes back with it. */
function send(method: string, path: string, token: string, body?: string): Promise<{ status: number; socket: unknown }> {
  const url = new URL(baseUrl());
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) } : {}) },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0, socket: request.socket }));
      },
    );
    request.on("error", (error) => reject(new Error(`${method} ${path}: ${error.message}`)));
    if (body !== undefined) request.write(body);
    request.end();
  });
}

describe("kept-alive connections", () => {
  it("serve the next request after one answered without reading its body", async () => {
    const t = await activeTenant({ plan: "pro" });
    const readOnly = await admin("POST", `/v1/tenants/${t.id}/tokens`, { body: { sub: "reader", scopes: ["read"] } });
    const answers: number[] = [];
    const sockets = new Set<unknown>();
    for (const [method, path, token, body] of [
      ["PUT", "/v1/maps/m/k", "tk_unknown", '"refused before the body"'], // 401
      ["DELETE", "/v1/maps/m/k", t.key, undefined], // 404 on the same socket
      ["PUT", "/v1/maps/m/k", readOnly.body.token as string, '"no write scope"'], // 403
      ["GET", "/v1/maps/m/k", t.key, undefined], // 404
      ["PUT", "/v1/maps/m/k", t.key, '"stored"'], // 200
      ["PUT", "/v1/maps/m/big", t.key, JSON.stringify("x".repeat(3 * 1024 * 1024))], // 413, refused on its declared length
      ["GET", "/v1/maps/m/k", t.key, undefined], // 200
    ] as const) {
      const answer = await send(method, path, token, body);
      answers.push(answer.status);
      sockets.add(answer.socket);
    }
    expect(answers).toEqual([401, 404, 403, 404, 200, 413, 200]);
    // All of it over one connection: none was closed under the client.
    expect(sockets.size).toBe(1);
  });

  it("serve the next request after a refusal answered before the app, body unread (a tenant over its bucket)", async () => {
    // One token a second: the first request takes it, and this isolate then refuses the tenant
    // before the app runs (src/edge/early-refusal.ts) until the bucket refills.
    const t = await activeTenant({ plan: "free", overrides: { requestsPerSecond: 1, burst: 1 } });
    const answers: number[] = [];
    const sockets = new Set<unknown>();
    for (const [method, path, body] of [
      ["GET", "/v1/me", undefined],
      ["PUT", "/v1/maps/m/k", '"refused before the body"'],
      ["PUT", "/v1/maps/m/k", JSON.stringify("x".repeat(256 * 1024))],
      ["GET", "/v1/me", undefined],
    ] as const) {
      const answer = await send(method, path, t.key, body);
      answers.push(answer.status);
      sockets.add(answer.socket);
    }
    expect(answers).toEqual([200, 429, 429, 429]);
    expect(sockets.size).toBe(1);
  });
});
