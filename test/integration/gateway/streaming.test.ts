import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { admin, baseUrl, expectProblem } from "../../support/api.ts";
import { startTestOrigin, waitFor, type TestOrigin } from "../../support/gateway-origin.ts";
import { rawRequest } from "../../support/raw-http.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

const MiB = 1024 * 1024;
let origin: TestOrigin;
let t: ActiveTenant;
beforeAll(async () => {
  origin = await startTestOrigin();
  t = await activeTenant({ gateway: { origin: origin.url } });
});
afterAll(async () => {
  await origin?.close();
});

/** Resident memory of the Worker (its host process and workerd). */
async function workerRss(): Promise<number> {
  const response = await fetch(`${inject("controlUrl")}/worker/memory`);
  return ((await response.json()) as { rssBytes: number }).rssBytes;
}

async function totals(tenantId: string) {
  expect((await admin("POST", `/v1/tenants/${tenantId}/usage/flush`)).status).toBe(200);
  return (await admin("GET", `/v1/tenants/${tenantId}/usage?granularity=day`)).body.totals;
}

describe("gateway streaming", () => {
  it("streams a 50 MiB upload: the origin has the first byte before the client sends the last", async () => {
    const size = 50 * MiB;
    let firstByteBeforeLast = false;
    const rssBefore = await workerRss();
    let rssPeak = rssBefore;
    const response = await rawRequest(
      "POST",
      "/gw/upload?tag=up50",
      { Authorization: `Bearer ${t.key}`, "Content-Type": "application/octet-stream", "Content-Length": size },
      async (write) => {
        const chunk = Buffer.alloc(MiB, 0x62);
        for (let sent = 0; sent < size; sent += MiB) {
          if (sent + MiB >= size) firstByteBeforeLast = await waitFor(origin.signal("up50:first-byte"), 10_000);
          if (sent % (10 * MiB) === 0) rssPeak = Math.max(rssPeak, await workerRss());
          await write(chunk);
        }
      },
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ bytes: size });
    expect(firstByteBeforeLast).toBe(true);
    // Flat: buffering the body would hold 50 MiB (more in JavaScript) at once.
    expect(rssPeak - rssBefore).toBeLessThan(25 * MiB);
  });

  it("streams a chunked upload of unknown length, counted as it passes", async () => {
    const before = await totals(t.id);
    let firstByteBeforeLast = false;
    const response = await rawRequest("PUT", "/gw/upload?tag=chunked", { Authorization: `Bearer ${t.key}`, "Transfer-Encoding": "chunked" }, async (write) => {
      for (let i = 0; i < 8; i++) {
        if (i === 7) firstByteBeforeLast = await waitFor(origin.signal("chunked:first-byte"), 10_000);
        await write(Buffer.alloc(MiB, 0x63));
      }
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ bytes: 8 * MiB });
    expect(firstByteBeforeLast).toBe(true);
    const after = await totals(t.id);
    expect(after.bytesIn - before.bytesIn).toBe(8 * MiB);
  });

  it("streams a 50 MiB download: the client has the first byte before the origin sends the last", async () => {
    const before = await totals(t.id);
    const response = await fetch(`${baseUrl()}/gw/download?tag=down50`, { headers: { Authorization: `Bearer ${t.key}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(50 * MiB));
    const reader = response.body!.getReader();
    let received = 0;
    let lastSentBeforeFirstByte: boolean | undefined;
    const rssBefore = await workerRss();
    let rssPeak = rssBefore;
    let nextSample = 0;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (received === 0) {
        lastSentBeforeFirstByte = origin.signal("down50:last-chunk-sent").fired;
        origin.signal("down50:client-first-byte").fire();
      }
      received += chunk.value.byteLength;
      if (received >= nextSample) {
        rssPeak = Math.max(rssPeak, await workerRss());
        nextSample += 10 * MiB;
      }
    }
    expect(rssPeak - rssBefore).toBeLessThan(25 * MiB);
    expect(received).toBe(50 * MiB);
    expect(lastSentBeforeFirstByte).toBe(false);
    const after = await totals(t.id);
    expect(after.bytesOut - before.bytesOut).toBe(50 * MiB);
    expect(after.requests - before.requests).toBe(1);
  });

  it("passes server-sent events through unbuffered", async () => {
    const response = await fetch(`${baseUrl()}/gw/sse?tag=events`, { headers: { Authorization: `Bearer ${t.key}`, Accept: "text/event-stream" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("data: one\n\n")) {
      const chunk = await reader.read();
      expect(chunk.done).toBe(false);
      text += chunk.value;
    }
    // The origin holds event two until this point: event one came through on its own.
    expect(text).not.toContain("two");
    origin.signal("events:client-got-one").fire();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value;
    expect(text).toBe("data: one\n\ndata: two\n\n");
  });
});

describe("gateway WebSockets", () => {
  const gwSocket = (key: string, path = "/gw/ws") =>
    new WebSocket(`${baseUrl().replace(/^http/, "ws")}${path}`, { headers: { Authorization: `Bearer ${key}` } });

  const opened = (ws: WebSocket) =>
    new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
      });
      ws.once("error", reject);
    });

  const nextMessage = (ws: WebSocket) =>
    new Promise<{ data: string; binary: boolean }>((resolve) => ws.once("message", (data, binary) => resolve({ data: data.toString(), binary })));

  it("proxies an upgrade and echoes text and binary frames; the origin sees the tenant, not the key", async () => {
    const ws = gwSocket(t.key, "/gw/ws?room=1");
    await opened(ws);
    ws.send("hello");
    expect(await nextMessage(ws)).toEqual({ data: "echo:hello", binary: false });
    ws.send(Buffer.from("bin"), { binary: true });
    expect(await nextMessage(ws)).toEqual({ data: "bin", binary: true });
    const seen = origin.received.filter((r) => r.url === "/ws?room=1").at(-1)!;
    expect(seen.headers["tenantry-tenant-id"]).toBe(t.id);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["signature-input"]).toContain("tenantry=");
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.close(1000, "bye");
    expect(await closed).toBe(1000);
  });

  it("counts gateway sockets against maxConnections and frees the slot on close", async () => {
    const limited = await activeTenant({ gateway: { origin: origin.url }, overrides: { maxConnections: 1 } });
    const first = gwSocket(limited.key);
    await opened(first);
    const refused = await opened(gwSocket(limited.key)).then(
      () => null,
      (error: { status: number; body: string }) => error,
    );
    expect(refused?.status).toBe(429);
    expect(JSON.parse(refused!.body).code).toBe("connection_limit");
    const closed = new Promise<void>((resolve) => first.once("close", () => resolve()));
    first.close();
    await closed;
    let again: WebSocket | undefined;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      again = gwSocket(limited.key);
      if (await opened(again).then(() => true, () => false)) break;
      again = undefined;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(again).toBeDefined();
    again!.close();
  });

  it("refuses a suspended tenant's writes but still upgrades its GET", async () => {
    const s = await activeTenant({ gateway: { origin: origin.url } });
    await admin("PATCH", `/v1/tenants/${s.id}`, { body: { status: "suspended" } });
    expectProblem(await s.call("DELETE", "/gw/thing"), 403, "tenant_suspended");
    const ws = gwSocket(s.key);
    await opened(ws);
    ws.close();
  });
});
