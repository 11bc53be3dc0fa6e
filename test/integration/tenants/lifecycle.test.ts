import { describe, expect, it } from "vitest";
import { admin, call, control, createTenant, eventually, expectProblem } from "../../support/api.ts";
import { auditEvents, createActive, getTenant, injectFault, redisKeys, stepsByName, tenantRedisKeys, triggerScheduled, upstash, waitForRun } from "../../support/control-plane.ts";
import { asTenant, count, database, dedicatedNames, roleCount, schemaCount, sharedMapRecordCount, sql } from "../../support/postgres.ts";

const patch = (id: string, body: unknown) => admin("PATCH", `/v1/tenants/${id}`, { body });
const DAY_MS = 24 * 60 * 60 * 1000;

async function setStatus(id: string, status: string): Promise<void> {
  await sql("update tenants set status = $2 where id = $1", [id, status]);
}

describe("PATCH /v1/tenants/{id}", () => {
  it("renames, and merges metadata as a JSON merge patch (null removes, objects merge)", async () => {
    const { tenant } = await createActive({ metadata: { team: "a", nested: { x: 1, y: 2 }, drop: true } });
    const response = await patch(tenant.id, { name: "Renamed", metadata: { team: "b", nested: { y: null, z: 3 }, drop: null, added: [1] } });
    expect(response.status).toBe(200);
    expect(response.body.name).toBe("Renamed");
    expect(response.body.metadata).toEqual({ team: "b", nested: { x: 1, z: 3 }, added: [1] });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(tenant.updatedAt));
    expect((await getTenant(tenant.id)).metadata).toEqual(response.body.metadata);

    const [updated] = await auditEvents(tenant.id, "tenant.updated");
    expect(updated.actor).toBe("admin");
    expect(updated.details.changes.name).toEqual({ from: tenant.name, to: "Renamed" });
    expect(updated.details.changes.metadata).toEqual({ set: ["added", "nested", "team"], removed: ["drop"] });

    const cleared = await patch(tenant.id, { metadata: null });
    expect(cleared.body.metadata).toEqual({});
  });

  it("merges overrides field by field, null restoring the plan's value, and re-runs plan-dependent steps", async () => {
    const { tenant } = await createActive({ plan: "pro", overrides: { burst: 50 } });
    expect(tenant.limits.burst).toBe(50);
    const response = await patch(tenant.id, { overrides: { burst: null, maxMaps: 7 } });
    expect(response.status).toBe(200);
    expect(response.body.overrides).toEqual({ maxMaps: 7 });
    expect(response.body.limits).toMatchObject({ burst: 200, maxMaps: 7 });
    const done = await waitForRun(tenant.id, "succeeded");
    const [config] = await sql("select limits from tenant_configs where tenant_id = $1", [tenant.id]);
    expect(config.limits).toMatchObject({ burst: 200, maxMaps: 7 });
    expect(stepsByName(done).configuration.attempts).toBe(2);
    const [event] = await auditEvents(tenant.id, "tenant.updated");
    expect(event.details.changes.overrides).toEqual({ from: { burst: 50 }, to: { maxMaps: 7 } });
  });

  it("changes the plan, re-runs configuration, cache and runtime only, and never the isolation", async () => {
    const { tenant } = await createActive({ plan: "enterprise" });
    expect(tenant.isolation).toBe("dedicated");
    const response = await patch(tenant.id, { plan: "free" });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ plan: "free", isolation: "dedicated", status: "active", features: ["realtime"] });
    expect(response.body.limits.requestsPerSecond).toBe(10);

    const done = await waitForRun(tenant.id, "succeeded");
    const steps = stepsByName(done);
    expect([steps.configuration.attempts, steps.cache.attempts, steps.runtime.attempts]).toEqual([2, 2, 2]);
    expect([steps.database.attempts, steps.smoke_test.attempts]).toEqual([1, 1]);
    expect(done.status).toBe("active");
    const [config] = await sql("select plan, limits from tenant_configs where tenant_id = $1", [tenant.id]);
    expect(config.plan).toBe("free");
    expect(config.limits.requestsPerSecond).toBe(10);
    expect(await upstash().hget(`tenantry:tenant:${tenant.id}:quota`, "plan")).toBe("free");
    expect(await schemaCount(tenant.id)).toBe(1);
    expect(await auditEvents(tenant.id, "tenant.provisioned")).toHaveLength(1);
    const [event] = await auditEvents(tenant.id, "tenant.updated");
    expect(event.details.changes.plan).toEqual({ from: "enterprise", to: "free" });
  });

  it("suspends an active tenant and resumes it, each audited, and refuses every other transition with 409", async () => {
    const created = await createActive();
    const id = created.tenant.id;
    const me = () => call("GET", "/v1/me", { token: created.apiKey.key });

    const suspended = await patch(id, { status: "suspended" });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe("suspended");
    // The tenant's own status is a helpful member of its own; the problem's `status` stays 409.
    expect(expectProblem(await patch(id, { status: "suspended" }), 409, "conflict").tenantStatus).toBe("suspended");
    await eventually(async () => (await me()).body?.tenant?.status === "suspended", 3000);

    const resumed = await patch(id, { status: "active" });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe("active");
    expectProblem(await patch(id, { status: "active" }), 409, "conflict");

    const events = await auditEvents(id);
    const suspendedEvent = events.find((event) => event.action === "tenant.suspended");
    const resumedEvent = events.find((event) => event.action === "tenant.resumed");
    expect(suspendedEvent).toMatchObject({ actor: "admin", details: { from: "active", to: "suspended" } });
    expect(resumedEvent).toMatchObject({ actor: "admin", details: { from: "suspended", to: "active" } });
    expect(events.filter((event) => event.action === "tenant.suspended")).toHaveLength(1);
    // Newest first.
    expect(events.indexOf(resumedEvent)).toBeLessThan(events.indexOf(suspendedEvent));

    for (const status of ["pending", "provisioning", "failed"]) {
      await setStatus(id, status);
      expectProblem(await patch(id, { status: "suspended" }), 409, "conflict");
      expectProblem(await patch(id, { status: "active" }), 409, "conflict");
      expect((await getTenant(id)).status).toBe(status);
    }
    await setStatus(id, "active");
    // A rejected transition rejects the whole patch.
    expectProblem(await patch(id, { name: "not applied", status: "active" }), 409, "conflict");
    expect((await getTenant(id)).name).toBe(created.tenant.name);
  });

  it("applies a status change and other fields together, auditing both", async () => {
    const { tenant } = await createActive();
    const response = await patch(tenant.id, { name: "Both", status: "suspended" });
    expect(response.body).toMatchObject({ name: "Both", status: "suspended" });
    const actions = (await auditEvents(tenant.id)).map((event) => event.action);
    expect(actions.slice(0, 2)).toEqual(["tenant.suspended", "tenant.updated"]);
  });

  it("changes nothing, audit included, for a patch equal to the current state", async () => {
    const { tenant } = await createActive({ metadata: { a: 1 } });
    const before = await auditEvents(tenant.id);
    const response = await patch(tenant.id, { name: tenant.name, plan: tenant.plan, metadata: { a: 1 }, overrides: {} });
    expect(response.status).toBe(200);
    expect(response.body.updatedAt).toBe(tenant.updatedAt);
    expect(await auditEvents(tenant.id)).toEqual(before);
  });

  it("rejects bad input with 400 problem documents naming the field", async () => {
    const { tenant } = await createTenant();
    const cases: unknown[] = [
      { plan: "platinum" },
      { status: "deleted" },
      { status: "pending" },
      { name: "" },
      { unknown: 1 },
      { overrides: { burst: 0 } },
      { overrides: { notALimit: 1 } },
      { metadata: "text" },
      { metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) },
      [],
      "text",
    ];
    for (const body of cases) {
      const problem = expectProblem(await patch(tenant.id, body), 400, "invalid_request");
      expect(Array.isArray(problem.errors)).toBe(true);
    }
    const problem = expectProblem(await patch(tenant.id, { plan: "platinum" }), 400, "invalid_request");
    expect((problem.errors as any[])[0].path).toBe("body.plan");
    // No body is the empty merge patch: nothing to change.
    expect((await admin("PATCH", `/v1/tenants/${tenant.id}`)).status).toBe(200);
    expectProblem(await admin("PATCH", `/v1/tenants/${tenant.id}`, { rawBody: "{", headers: { "Content-Type": "application/json" } }), 400, "invalid_request");
    expectProblem(await admin("PATCH", `/v1/tenants/${tenant.id}`, { rawBody: "name=x", headers: { "Content-Type": "text/plain" } }), 415, "unsupported_media_type");
    expectProblem(await patch("ten_00000000000000000000000000", { name: "x" }), 404, "not_found");
    expectProblem(await admin("PATCH", `/v1/tenants/${tenant.id}`, { token: null, body: { name: "x" } }), 401, "unauthenticated");
  });

  it("refuses to change a deleted tenant", async () => {
    const { tenant } = await createActive();
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    expectProblem(await patch(tenant.id, { name: "ghost" }), 409, "conflict");
    expectProblem(await patch(tenant.id, { status: "active" }), 409, "conflict");
  });
});

describe("DELETE /v1/tenants/{id}", () => {
  it("soft-deletes: status deleted, purgeAfter in 30 days, every key revoked at once, audited; repeat is idempotent", async () => {
    const created = await createActive();
    const id = created.tenant.id;
    const extra = await admin("POST", `/v1/tenants/${id}/keys`, { body: { name: "second" } });
    expect(extra.status).toBe(201);
    for (const key of [created.apiKey.key, extra.body.key]) expect((await call("GET", "/v1/me", { token: key })).status).toBe(200);

    const started = Date.now();
    const response = await admin("DELETE", `/v1/tenants/${id}`);
    expect(response.status).toBe(202);
    expect(response.body.status).toBe("deleted");
    const deletedAt = Date.parse(response.body.deletedAt);
    expect(deletedAt).toBeGreaterThanOrEqual(started - 2000);
    expect(Date.parse(response.body.purgeAfter) - deletedAt).toBe(30 * DAY_MS);

    const keys = await admin("GET", `/v1/tenants/${id}/keys`);
    expect(keys.body.data).toHaveLength(2);
    for (const key of keys.body.data) expect(key.revokedAt).toBeTruthy();
    for (const key of [created.apiKey.key, extra.body.key]) {
      await eventually(async () => (await call("GET", "/v1/me", { token: key })).status === 401, 1500, 50);
    }
    const [event] = await auditEvents(id, "tenant.deleted");
    expect(event).toMatchObject({ actor: "admin", details: { from: "active", hard: false, keysRevoked: 2 } });

    const again = await admin("DELETE", `/v1/tenants/${id}`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: "deleted", deletedAt: response.body.deletedAt, purgeAfter: response.body.purgeAfter });
    expect(await auditEvents(id, "tenant.deleted")).toHaveLength(1);
    expect((await getTenant(id)).status).toBe("deleted");
  });

  it("deletes a tenant from any status", async () => {
    for (const status of ["pending", "provisioning", "active", "suspended", "failed"]) {
      // Provisioned first, so the queue consumer cannot move the status set below.
      const { tenant } = await createActive({ name: `from-${status}` });
      await setStatus(tenant.id, status);
      const response = await admin("DELETE", `/v1/tenants/${tenant.id}`);
      expect(response.status, status).toBe(202);
      expect(response.body.status).toBe("deleted");
      const [event] = await auditEvents(tenant.id, "tenant.deleted");
      expect(event.details.from).toBe(status);
    }
  });

  it("deletes a tenant whose provisioning is under way, and provisioning then leaves it alone", async () => {
    // The first step fails once, so the tenant cannot become active before the delete lands.
    const name = `doomed-${Math.random().toString(36).slice(2, 10)}`;
    await injectFault({ tenantName: name }, "database", 1);
    const created = await createTenant({ name });
    const response = await admin("DELETE", `/v1/tenants/${created.tenant.id}`);
    expect(response.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const tenant = await getTenant(created.tenant.id);
    expect(tenant.status).toBe("deleted");
    expect(await auditEvents(created.tenant.id, "tenant.provisioned")).toHaveLength(0);
    expect(await count("select 1 from tenant_configs where tenant_id = $1", [created.tenant.id])).toBe(0);
  });

  it("hard-deletes a dedicated tenant: schema, role, rows and Redis keys are gone, then 404", async () => {
    const { tenant } = await createActive({ plan: "enterprise" });
    const names = dedicatedNames(tenant.id);
    await sql(`insert into ${names.schema}.map_records (tenant_id, map, key, value, version, bytes) values ($1, 'todos', 'a', '1', 1, 1)`, [tenant.id]);
    const keyHashes = (await sql("select hash from api_keys where tenant_id = $1", [tenant.id])).map((row) => row.hash);
    expect((await tenantRedisKeys(tenant.id)).length).toBeGreaterThan(0);

    const response = await admin("DELETE", `/v1/tenants/${tenant.id}?hard=true`);
    expect(response.status).toBe(202);
    expect(response.body.status).toBe("deleted");

    expectProblem(await admin("GET", `/v1/tenants/${tenant.id}`), 404, "not_found");
    expectProblem(await admin("GET", `/v1/tenants/${tenant.id}/keys`), 404, "not_found");
    expectProblem(await admin("GET", `/v1/tenants/${tenant.id}/audit`), 404, "not_found");
    expect(await schemaCount(tenant.id)).toBe(0);
    expect(await roleCount(tenant.id)).toBe(0);
    for (const table of ["tenants where id", "api_keys where tenant_id", "provisioning_runs where tenant_id", "provisioning_steps where tenant_id", "tenant_configs where tenant_id", "audit_events where tenant_id", "usage_minutes where tenant_id"]) {
      expect(await count(`select 1 from ${table} = $1`, [tenant.id]), table).toBe(0);
    }
    expect(await tenantRedisKeys(tenant.id)).toEqual([]);
    for (const hash of keyHashes) expect(await redisKeys(`tenantry:cred:${hash}*`)).toEqual([]);
    expectProblem(await admin("DELETE", `/v1/tenants/${tenant.id}?hard=true`), 404, "not_found");
  });

  it("hard-deletes a shared tenant's map records through its row-level-security scope", async () => {
    const { tenant } = await createActive({ plan: "free" });
    await asTenant(database(), tenant.id, (client) =>
      client.query("insert into map_records (tenant_id, map, key, value, version, bytes) values ($1, 'todos', 'a', '1', 1, 1)", [tenant.id]),
    );
    expect(await sharedMapRecordCount(tenant.id)).toBe(1);
    // Soft-deleted first: hard delete works on a deleted tenant too.
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}?hard=true`)).status).toBe(202);
    expect(await sharedMapRecordCount(tenant.id)).toBe(0);
    expectProblem(await admin("GET", `/v1/tenants/${tenant.id}`), 404, "not_found");
  });

  it("purges soft-deleted tenants whose purgeAfter has passed, from the scheduled job", async () => {
    const { tenant } = await createActive({ plan: "enterprise" });
    const keep = await createActive({ plan: "free" });
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    expect((await admin("DELETE", `/v1/tenants/${keep.tenant.id}`)).status).toBe(202);
    await sql("update tenants set purge_after = now() - interval '1 minute' where id = $1", [tenant.id]);

    await triggerScheduled();
    await eventually(async () => (await admin("GET", `/v1/tenants/${tenant.id}`)).status === 404, 10_000);
    expect(await schemaCount(tenant.id)).toBe(0);
    expect(await roleCount(tenant.id)).toBe(0);
    expect(await tenantRedisKeys(tenant.id)).toEqual([]);
    // Still within its retention period: kept.
    expect((await getTenant(keep.tenant.id)).status).toBe("deleted");
  });

  it("rejects bad input and unknown tenants", async () => {
    const { tenant } = await createTenant();
    expectProblem(await admin("DELETE", `/v1/tenants/${tenant.id}?hard=yes`), 400, "invalid_request");
    expectProblem(await admin("DELETE", "/v1/tenants/ten_00000000000000000000000000"), 404, "not_found");
    expectProblem(await admin("DELETE", `/v1/tenants/${tenant.id}`, { token: "nope" }), 401, "unauthenticated");
  });
});

describe("while Redis is down", () => {
  it("still commits admin changes: invalidation failures are logged, not returned", async () => {
    const { tenant, apiKey } = await createActive();
    await control("redis/stop");
    try {
      const patched = await patch(tenant.id, { status: "suspended", metadata: { during: "outage" } });
      expect(patched.status).toBe(200);
      expect(patched.body.status).toBe("suspended");
      expect((await admin("DELETE", `/v1/tenants/${tenant.id}/keys/${apiKey.id}`)).status).toBe(204);
      const deleted = await admin("DELETE", `/v1/tenants/${tenant.id}`);
      expect(deleted.status).toBe(202);
    } finally {
      await control("redis/start");
    }
    const [row] = await sql("select status, metadata from tenants where id = $1", [tenant.id]);
    expect(row).toEqual({ status: "deleted", metadata: { during: "outage" } });
    expect((await auditEvents(tenant.id)).map((event) => event.action).slice(0, 4)).toEqual([
      "tenant.deleted",
      "key.revoked",
      "tenant.suspended",
      "tenant.updated",
    ]);
  });

  it("answers a hard delete with 503 and leaves the purge to the scheduled job, which finishes it", async () => {
    const { tenant } = await createActive({ plan: "enterprise" });
    await control("redis/stop");
    try {
      const response = await admin("DELETE", `/v1/tenants/${tenant.id}?hard=true`);
      expectProblem(response, 503, "unavailable");
    } finally {
      await control("redis/start");
    }
    const kept = await getTenant(tenant.id);
    expect(kept.status).toBe("deleted");
    expect(Date.parse(kept.purgeAfter)).toBeLessThanOrEqual(Date.now());
    await eventually(async () => (await call("GET", "/v1/health")).status === 200);
    await triggerScheduled();
    await eventually(async () => (await admin("GET", `/v1/tenants/${tenant.id}`)).status === 404, 10_000);
    expect(await schemaCount(tenant.id)).toBe(0);
    expect(await tenantRedisKeys(tenant.id)).toEqual([]);
  });
});
