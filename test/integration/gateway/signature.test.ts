import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createVerifier, httpbis } from "http-message-signatures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayMiddleware, verifyGatewayRequest, type NodeLikeRequest } from "../../../sdk/src/gateway.ts";
import { LOCAL_GATEWAY_SIGNING_SECRET } from "../../../scripts/stack/local-stack.ts";
import { admin } from "../../support/api.ts";
import { startTestOrigin, type ReceivedRequest, type TestOrigin } from "../../support/gateway-origin.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

// The test stack signs with the local default secret (npm run dev does too, unless told otherwise).
const SECRET = LOCAL_GATEWAY_SIGNING_SECRET;

let origin: TestOrigin;
let t: ActiveTenant;
beforeAll(async () => {
  origin = await startTestOrigin();
  t = await activeTenant({ gateway: { origin: origin.url } });
});
afterAll(async () => {
  await origin?.close();
});

/** What the origin received, as a Fetch-API Request (the URL as the gateway addressed it). */
function asRequest(received: ReceivedRequest, overrides: Record<string, string> = {}): Request {
  const headers = new Headers();
  for (let i = 0; i < received.rawHeaders.length; i += 2) headers.append(received.rawHeaders[i]!, received.rawHeaders[i + 1]!);
  for (const [name, value] of Object.entries(overrides)) headers.set(name, value);
  return new Request(`${origin.url}${received.url}`, { method: received.method, headers });
}

async function forwarded(method: string, path: string): Promise<ReceivedRequest> {
  const before = origin.received.length;
  const response = await t.call(method, path, method === "GET" ? {} : { rawBody: "payload" });
  expect(response.status).toBe(200);
  return origin.received.slice(before).at(-1)!;
}

describe("gateway signatures (RFC 9421)", () => {
  it("verify with the origin module, and the tenant headers come with them", async () => {
    const received = await forwarded("POST", "/gw/a/b?c=d%20e");
    const result = await verifyGatewayRequest(asRequest(received), SECRET);
    expect(result).toMatchObject({ ok: true, keyId: "default" });
    if (!result.ok) return;
    expect(result.tenant).toMatchObject({ id: t.id, plan: "pro", isolation: "shared", scopes: ["read", "write"] });
    expect(result.tenant.credential).toMatch(/^key_/);
    expect(Math.abs(result.created - Date.now() / 1000)).toBeLessThan(10);
  });

  it("fail for a changed header, method or URI, another secret, or an age over 60 s", async () => {
    const received = await forwarded("GET", "/gw/tamper");
    expect((await verifyGatewayRequest(asRequest(received), SECRET)).ok).toBe(true);
    const cases = [
      verifyGatewayRequest(asRequest(received, { "tenantry-tenant-id": "ten_other" }), SECRET),
      verifyGatewayRequest(asRequest(received, { "tenantry-scopes": "read,write,admin" }), SECRET),
      verifyGatewayRequest(new Request(`${origin.url}/other`, { headers: asRequest(received).headers }), SECRET),
      verifyGatewayRequest(new Request(`${origin.url}${received.url}`, { method: "DELETE", headers: asRequest(received).headers }), SECRET),
      verifyGatewayRequest(asRequest(received), "another-secret"),
      verifyGatewayRequest(asRequest(received), SECRET, { now: Math.floor(Date.now() / 1000) + 61 }),
      verifyGatewayRequest(asRequest(received), SECRET, { keyId: "not-default" }),
      verifyGatewayRequest(asRequest(received, { signature: "tenantry=:AAAA:" }), SECRET),
    ];
    for (const result of await Promise.all(cases)) expect(result.ok).toBe(false);
    const unsigned = new Request(`${origin.url}/x`, { headers: { "tenantry-tenant-id": t.id } });
    expect(await verifyGatewayRequest(unsigned, SECRET)).toEqual({ ok: false, reason: 'no "tenantry" signature' });
  });

  it("verify with an independent RFC 9421 implementation (http-message-signatures)", async () => {
    const received = await forwarded("PUT", "/gw/independent?x=1");
    const verifier = createVerifier(Buffer.from(SECRET), "hmac-sha256");
    const config = {
      keyLookup: async (params: { keyid?: string }) => (params.keyid === "default" ? { id: "default", algs: ["hmac-sha256"], verify: verifier } : null),
      requiredFields: ["@method", "@target-uri", "tenantry-tenant-id", "tenantry-credential", "tenantry-scopes", "tenantry-request-id"],
      requiredParams: ["created", "keyid", "alg"],
      maxAge: 60,
    };
    const message = { method: received.method, url: `${origin.url}${received.url}`, headers: received.headers as Record<string, string | string[]> };
    expect(await httpbis.verifyMessage(config, message)).toBe(true);
    const forged = { ...message, headers: { ...message.headers, "tenantry-tenant-id": "ten_forged" } };
    expect(await httpbis.verifyMessage(config, forged)).toBe(false);
  });

  it("guard an Express-style origin: the middleware lets the gateway in and keeps a direct caller out", async () => {
    const guard = gatewayMiddleware(SECRET);
    const server: Server = createServer((req, res) => {
      guard(req as NodeLikeRequest, res, () => {
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ tenant: (req as NodeLikeRequest).tenantry }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await admin("PATCH", `/v1/tenants/${t.id}`, { body: { gateway: { origin: url } } });
      // The new origin is live at every edge within 1 s (CONTRACT v1.1); until then the old one may answer.
      const changed = Date.now();
      let through: { status: number; body: any } | undefined;
      for (let i = 0; i < 30 && through?.body?.tenant === undefined; i++) {
        const response = await t.call("GET", "/gw/me?full=1");
        through = { status: response.status, body: response.body };
        if (through.body?.tenant === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(through?.status).toBe(200);
      expect(Date.now() - changed).toBeLessThan(2000);
      expect(through?.body.tenant).toMatchObject({ id: t.id, plan: "pro" });
      const direct = await fetch(`${url}/gw/me`, { headers: { "Tenantry-Tenant-Id": t.id } });
      expect(direct.status).toBe(401);
    } finally {
      await admin("PATCH", `/v1/tenants/${t.id}`, { body: { gateway: { origin: origin.url } } });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
