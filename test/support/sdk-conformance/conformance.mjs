// The SDK's conformance checks, in plain JavaScript so that every runtime runs the same file as it
// is: Node (no TypeScript stripping before 22), Deno, Bun, workerd and a browser. It takes the SDK
// module as an argument (each host imports the built SDK its own way) and never throws: it returns
// one result per check, so a host only has to print or return it.

/** Standard Webhooks' published example (the `standardwebhooks` package signs it the same way). */
const WEBHOOK_VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: "1614265330",
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

/** An RFC 9421 HMAC-SHA256 signature made by an independent implementation (http-message-signatures). */
const GATEWAY_VECTOR = {
  secret: "conformance-vector-secret",
  method: "POST",
  url: "https://origin.example/gw/orders?page=2",
  created: 1767225600,
  headers: {
    "tenantry-tenant-id": "ten_vector",
    "tenantry-plan": "pro",
    "tenantry-isolation": "shared",
    "tenantry-credential": "key_vector",
    "tenantry-scopes": "read,write",
    "tenantry-request-id": "req_vector",
    signature: "tenantry=:0e1kuL+61nqosiwSr4PMgdO7XgHggsbdVXw3iStuHJA=:",
    "signature-input":
      'tenantry=("@method" "@target-uri" "tenantry-tenant-id" "tenantry-credential" "tenantry-scopes" "tenantry-request-id");created=1767225600;keyid="default";alg="hmac-sha256"',
  },
};

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const json = (value) => JSON.stringify(value);

/** The rejection of `promise`, or a failure if it resolved. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, it succeeded");
}

function expectProblem(sdk, error, status, code) {
  assert(error instanceof sdk.TenantryError, `expected a TenantryError, got ${error?.name}: ${error?.message}`);
  assert(error.status === status && error.code === code, `expected ${status} ${code}, got ${error.status} ${error.code}`);
  assert(typeof error.requestId === "string" && error.requestId.length > 0, "the problem has no requestId");
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every check against the stack at `baseUrl`.
 * options: { baseUrl, adminToken, runtime, WebSocket?, crypto? } — `WebSocket` and `crypto` only
 * where the platform has none of its own (the SDK's documented options for Node 18–21).
 */
export async function runConformance(sdk, options) {
  const { baseUrl, adminToken, runtime } = options;
  const checks = [];
  const state = {};
  const slug = `${runtime.replace(/[^A-Za-z0-9]+/g, "-")}-${Math.random().toString(36).slice(2, 8)}`;

  async function check(name, body) {
    const started = Date.now();
    try {
      const skipped = await body();
      checks.push({ name, ok: true, ms: Date.now() - started, ...(typeof skipped === "string" ? { skipped } : {}) });
      return true;
    } catch (error) {
      checks.push({ name, ok: false, ms: Date.now() - started, error: `${error?.name ?? "Error"}: ${error?.message ?? String(error)}` });
      return false;
    }
  }

  const admin = sdk.createAdminClient({ baseUrl, token: adminToken });

  const created = await check("admin: create a tenant with an Idempotency-Key", async () => {
    const body = { name: `conformance-${slug}`, plan: "pro" };
    const idempotencyKey = `conformance-${slug}`;
    const first = await admin.tenants.create(body, { idempotencyKey });
    const again = await admin.tenants.create(body, { idempotencyKey });
    assert(first.tenant.id === again.tenant.id, `same key, two tenants: ${first.tenant.id} and ${again.tenant.id}`);
    assert(first.apiKey.key === again.apiKey.key, "the repeat did not return the same API key");
    state.tenantId = first.tenant.id;
    state.apiKey = first.apiKey.key;
  });

  const active =
    created &&
    (await check("admin: wait until the tenant is active", async () => {
      const tenant = await admin.tenants.waitUntilActive(state.tenantId, { pollMs: 100, timeoutMs: 30_000 });
      assert(tenant.status === "active", `status ${tenant.status}`);
    }));

  if (active) {
    const data = sdk.createTenantClient({ baseUrl, apiKey: state.apiKey });

    await check("tenant: maps put and get, If-Match", async () => {
      const first = await data.maps.put("conformance", "doc", { title: "milk", runtime });
      assert(first.version === 1, `first version ${first.version}`);
      const second = await data.maps.put("conformance", "doc", { title: "bread" }, { ifVersion: 1 });
      assert(second.version === 2, `version after If-Match ${second.version}`);
      const read = await data.maps.get("conformance", "doc");
      assert(json(read.value) === json({ title: "bread" }) && read.version === 2, `read back ${json(read)}`);
    });

    await check("errors: 412 and 404 as typed problems", async () => {
      expectProblem(sdk, await rejection(data.maps.put("conformance", "doc", "stale", { ifVersion: 1 })), 412, "version_conflict");
      expectProblem(sdk, await rejection(data.maps.get("conformance", "missing")), 404, "not_found");
      expectProblem(sdk, await rejection(admin.tenants.get("ten_doesnotexist")), 404, "not_found");
    });

    await check("pagination: async iterator over pages of one", async () => {
      for (const key of ["c", "a", "b"]) await data.maps.put("pages", key, key.toUpperCase());
      const keys = [];
      for await (const record of data.maps.iterate("pages", { limit: 1 })) keys.push(record.key);
      assert(json(keys) === json(["a", "b", "c"]), `iterated ${json(keys)}`);
    });

    await check("realtime: a subscription receives a change event", async () => {
      const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
      if (!WebSocketImpl) return "no WebSocket in this runtime";
      const live = await withTimeout(data.realtime.connect({ WebSocket: WebSocketImpl, reconnect: false }), 10_000, "connect");
      try {
        const received = new Promise((resolve) => live.onChange((change) => change.key === "ping" && resolve(change)));
        await withTimeout(live.subscribe("live"), 10_000, "subscribe");
        await data.maps.put("live", "ping", { runtime });
        const change = await withTimeout(received, 10_000, "change event");
        assert(change.map === "live" && change.op === "set" && change.version === 1, `event ${json(change)}`);
        assert(json(change.value) === json({ runtime }), `event value ${json(change.value)}`);
      } finally {
        live.close();
      }
    });
  }

  await check("webhooks: Standard Webhooks vector", async () => {
    const { secret, id, timestamp, body, signature } = WEBHOOK_VECTOR;
    const headers = { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
    const header = (name) => headers[name] ?? null;
    const at = { now: Number(timestamp) * 1000 + 1000, crypto: options.crypto };
    const good = await sdk.verifyWebhookMessage({ body, header }, secret, at);
    assert(good.ok && good.event.test === 2432232314, `vector refused: ${json(good)}`);
    const tampered = await sdk.verifyWebhookMessage({ body: body.replace("2432232314", "2432232315"), header }, secret, at);
    assert(!tampered.ok, "a tampered body verified");
    const rotated = await sdk.verifyWebhookMessage({ body, header }, ["whsec_b2xkIHNlY3JldA==", secret], at);
    assert(rotated.ok, "the second secret of a rotation did not verify");
    // The Fetch-API form, on this runtime's own Request; the window is widened to reach the vector's 2021 timestamp.
    const request = new Request("https://receiver.example/hooks", { method: "POST", headers, body });
    const viaRequest = await sdk.verifyWebhook(request, secret, { toleranceSeconds: 1e10, crypto: options.crypto });
    assert(viaRequest.ok, `Request form refused: ${json(viaRequest)}`);
    const stale = await sdk.verifyWebhook(new Request("https://receiver.example/hooks", { method: "POST", headers, body }), secret, { crypto: options.crypto });
    assert(!stale.ok, "a 2021 timestamp passed the default 5-minute window");
  });

  await check("gateway: RFC 9421 vector", async () => {
    const { secret, method, url, created: signedAt, headers } = GATEWAY_VECTOR;
    const at = { now: signedAt + 1, crypto: options.crypto };
    const good = await sdk.verifyGatewayRequest(new Request(url, { method, headers }), secret, at);
    assert(good.ok, `vector refused: ${json(good)}`);
    assert(good.tenant.id === "ten_vector" && json(good.tenant.scopes) === json(["read", "write"]) && good.keyId === "default", `caller ${json(good)}`);
    const forged = await sdk.verifyGatewayRequest(new Request(url, { method, headers: { ...headers, "tenantry-tenant-id": "ten_forged" } }), secret, at);
    assert(!forged.ok, "a forged tenant id verified");
    const expired = await sdk.verifyGatewayRequest(new Request(url, { method, headers }), secret, { ...at, now: signedAt + 61 });
    assert(!expired.ok, "a 61-second-old signature verified");
  });

  return { runtime, ok: checks.every((c) => c.ok), checks };
}
