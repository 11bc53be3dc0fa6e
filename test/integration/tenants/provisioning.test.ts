import { describe, expect, it } from "vitest";
import { admin, createTenant, expectProblem } from "../../support/api.ts";
import { auditEvents, createActive, deliver, getTenant, injectFault, sleep, stepsByName, tenantRedisKeys, triggerScheduled, waitForRun, waitForStatus } from "../../support/control-plane.ts";
import { count, dedicatedNames, roleCount, schemaCount, sharedMapRecordCount, sql } from "../../support/postgres.ts";

const STEPS = ["database", "cache", "configuration", "runtime", "smoke_test"];
const uniqueName = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

/** Everything a provisioning run leaves behind, to compare before and after redeliveries. */
async function effects(tenantId: string) {
  const tenant = await getTenant(tenantId);
  return {
    status: tenant.status,
    steps: tenant.provisioning.steps.map((step: any) => `${step.name}:${step.status}:${step.attempts}`),
    configRows: await count("select 1 from tenant_configs where tenant_id = $1", [tenantId]),
    stepRows: await count("select 1 from provisioning_steps where tenant_id = $1", [tenantId]),
    schemas: await schemaCount(tenantId),
    roles: await roleCount(tenantId),
    keys: await count("select 1 from api_keys where tenant_id = $1", [tenantId]),
    audit: (await auditEvents(tenantId)).map((event) => event.action).sort(),
    redisKeys: await tenantRedisKeys(tenantId),
  };
}

/** A step left `running` as if a runner claimed it `ago` (a Postgres interval) and vanished. */
function claimStep(tenantId: string, name: string, ago: string) {
  return sql(`update provisioning_steps set status = 'running', started_at = now() - interval '${ago}' where tenant_id = $1 and name = $2`, [tenantId, name]);
}

describe("provisioning (queue consumer, scheduled sweep) and POST /v1/tenants/{id}/provision", () => {
  it("takes a shared tenant from pending to active through five recorded steps", async () => {
    const created = await createTenant({ name: uniqueName("shared"), plan: "pro" });
    expect(created.tenant.status).toBe("pending");
    expect(created.tenant.provisioning.state).toBe("queued");
    expect(created.tenant.provisioning.steps.map((step: any) => [step.name, step.status])).toEqual(STEPS.map((name) => [name, "pending"]));

    const tenant = await waitForStatus(created.tenant.id, "active");
    expect(tenant.provisioning.state).toBe("succeeded");
    expect(tenant.provisioning.error).toBeNull();
    expect(tenant.provisioning.attempts).toBe(1);
    expect(tenant.provisioning.startedAt).toBeTruthy();
    expect(tenant.provisioning.finishedAt).toBeTruthy();
    for (const step of tenant.provisioning.steps) {
      expect(step).toMatchObject({ status: "succeeded", attempts: 1, error: null });
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
    }

    const [config] = await sql("select * from tenant_configs where tenant_id = $1", [tenant.id]);
    expect(config).toMatchObject({ isolation: "shared", storage_schema: "public", plan: "pro" });
    expect(config.limits).toEqual(tenant.limits);
    expect(await schemaCount(tenant.id)).toBe(0);
    // The smoke test deleted what it wrote.
    expect(await sharedMapRecordCount(tenant.id)).toBe(0);
    const keys = await tenantRedisKeys(tenant.id);
    expect(keys).toEqual(expect.arrayContaining([`tenantry:tenant:${tenant.id}:namespace`, `tenantry:tenant:${tenant.id}:quota`]));

    const provisioned = await auditEvents(tenant.id, "tenant.provisioned");
    expect(provisioned).toHaveLength(1);
    expect(provisioned[0].actor).toBe("system");
  });

  it("gives a dedicated tenant its own schema and role, and smoke-tests through them", async () => {
    const created = await createTenant({ name: uniqueName("dedicated"), plan: "enterprise", region: "weur" });
    expect(created.tenant.isolation).toBe("dedicated");
    const tenant = await waitForStatus(created.tenant.id, "active");
    expect(tenant.region).toBe("weur");
    const names = dedicatedNames(tenant.id);
    expect(await schemaCount(tenant.id)).toBe(1);
    expect(await roleCount(tenant.id)).toBe(1);
    expect(await count(`select 1 from ${names.schema}.map_records`)).toBe(0);
    const [config] = await sql("select * from tenant_configs where tenant_id = $1", [tenant.id]);
    expect(config).toMatchObject({ isolation: "dedicated", storage_schema: names.schema, plan: "enterprise" });
    const [runtime] = await sql("select output from provisioning_steps where tenant_id = $1 and name = 'runtime'", [tenant.id]);
    expect(runtime.output).toMatchObject({ object: `tenant:${tenant.id}`, warmPinned: true });
  });

  it("has exactly one effect when the message is delivered three more times, one after another", async () => {
    const { tenant } = await createActive({ plan: "enterprise" });
    const before = await effects(tenant.id);
    for (let i = 0; i < 3; i++) {
      await deliver(tenant.id, 1);
      await sleep(400);
    }
    await sleep(1500);
    expect(await effects(tenant.id)).toEqual(before);
  });

  it("has exactly one effect when the message arrives three times at once with the first delivery", async () => {
    const created = await createTenant({ name: uniqueName("concurrent"), plan: "enterprise" });
    // The creation's own message plus three copies in one batch: handled concurrently by the consumer.
    await deliver(created.tenant.id, 3);
    const tenant = await waitForStatus(created.tenant.id, "active");
    await sleep(1500);
    const after = await effects(tenant.id);
    expect(after.schemas).toBe(1);
    expect(after.roles).toBe(1);
    expect(after.configRows).toBe(1);
    expect(after.stepRows).toBe(5);
    expect(after.keys).toBe(1);
    expect(after.steps).toEqual(STEPS.map((name) => `${name}:succeeded:1`));
    expect(after.audit.filter((action: string) => action === "tenant.provisioned")).toHaveLength(1);
    expect(after.audit.filter((action: string) => action === "tenant.created")).toHaveLength(1);
    expect(after.audit.filter((action: string) => action === "key.created")).toHaveLength(1);
  });

  it("retries a failing step with backoff and succeeds without re-running finished steps", async () => {
    const name = uniqueName("flaky");
    await injectFault({ tenantName: name }, "runtime", 2);
    const created = await createTenant({ name, plan: "pro" });
    const tenant = await waitForStatus(created.tenant.id, "active");
    const steps = stepsByName(tenant);
    expect(steps.runtime).toMatchObject({ status: "succeeded", attempts: 3, error: null });
    for (const step of ["database", "cache", "configuration", "smoke_test"]) expect(steps[step].attempts).toBe(1);
    expect(tenant.provisioning.attempts).toBe(3);
    expect(await auditEvents(tenant.id, "tenant.provisioned")).toHaveLength(1);
  });

  it("dead-letters after the retry budget, marks the tenant failed with the reason, and POST /provision completes it", async () => {
    const name = uniqueName("doomed");
    await injectFault({ tenantName: name }, "smoke_test", 100);
    const created = await createTenant({ name, plan: "enterprise" });
    const failed = await waitForStatus(created.tenant.id, "failed", 28_000);
    expect(failed.provisioning.state).toBe("failed");
    expect(failed.provisioning.error).toMatch(/smoke_test: injected failure/);
    const steps = stepsByName(failed);
    // max_retries = 5: six deliveries, six attempts at the failing step; the ones before it ran once.
    expect(steps.smoke_test).toMatchObject({ status: "failed", attempts: 6 });
    expect(steps.smoke_test.error).toMatch(/injected failure/);
    for (const step of ["database", "cache", "configuration", "runtime"]) expect(steps[step]).toMatchObject({ status: "succeeded", attempts: 1 });
    const failures = await auditEvents(created.tenant.id, "tenant.provisioning_failed");
    expect(failures).toHaveLength(1);
    expect(failures[0].details.reason).toMatch(/injected failure/);

    await injectFault({ tenantName: name }, "smoke_test", 0);
    const resumed = await admin("POST", `/v1/tenants/${created.tenant.id}/provision`);
    expect(resumed.status).toBe(202);
    expect(resumed.body.status).toBe("provisioning");
    expect(resumed.body.provisioning.state).toBe("queued");
    const active = await waitForStatus(created.tenant.id, "active");
    const after = stepsByName(active);
    expect(after.smoke_test).toMatchObject({ status: "succeeded", attempts: 7 });
    for (const step of ["database", "cache", "configuration", "runtime"]) expect(after[step].attempts).toBe(1);
    expect(active.provisioning.error).toBeNull();
    expect(await schemaCount(created.tenant.id)).toBe(1);
    expect(await auditEvents(created.tenant.id, "tenant.provisioned")).toHaveLength(1);
    expect(await auditEvents(created.tenant.id, "tenant.provisioning_retried")).toHaveLength(1);
  }, 45_000);

  it("handles ten concurrent POST /provision calls on a failed tenant with one effect", async () => {
    const name = uniqueName("tenfold");
    await injectFault({ tenantName: name }, "cache", 100);
    const created = await createTenant({ name, plan: "enterprise" });
    await waitForStatus(created.tenant.id, "failed", 28_000);
    await injectFault({ tenantName: name }, "cache", 0);

    const responses = await Promise.all(Array.from({ length: 10 }, () => admin("POST", `/v1/tenants/${created.tenant.id}/provision`)));
    for (const response of responses) {
      expect(response.status).toBe(202);
      expect(["provisioning", "active"]).toContain(response.body.status);
    }
    const tenant = await waitForStatus(created.tenant.id, "active");
    await sleep(1500);
    const after = await effects(tenant.id);
    expect(after.schemas).toBe(1);
    expect(after.roles).toBe(1);
    expect(after.configRows).toBe(1);
    expect(after.steps).toEqual(["database:succeeded:1", "cache:succeeded:7", "configuration:succeeded:1", "runtime:succeeded:1", "smoke_test:succeeded:1"]);
    expect(after.audit.filter((action: string) => action === "tenant.provisioned")).toHaveLength(1);
    expect(after.audit.filter((action: string) => action === "tenant.provisioning_retried")).toHaveLength(1);
  }, 45_000);

  it("treats POST /provision on an active tenant as a no-op, and refuses unknown and deleted tenants", async () => {
    const { tenant } = await createActive();
    const auditBefore = await auditEvents(tenant.id);
    const response = await admin("POST", `/v1/tenants/${tenant.id}/provision`);
    expect(response.status).toBe(202);
    expect(response.body.status).toBe("active");
    expect(response.body.provisioning.state).toBe("succeeded");
    expect(await auditEvents(tenant.id)).toEqual(auditBefore);

    expectProblem(await admin("POST", "/v1/tenants/ten_00000000000000000000000000/provision"), 404, "not_found");
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/provision`), 409, "conflict");
    expectProblem(await admin("POST", `/v1/tenants/${tenant.id}/provision`, { token: "wrong" }), 401, "unauthenticated");
  });

  it("re-enqueues a tenant whose queue message was lost, from the scheduled sweep", async () => {
    // A tenant committed as pending whose enqueue never happened, idle for half an hour.
    const id = `ten_${"0".repeat(6)}${Array.from({ length: 20 }, () => "abcdefghjkmnpqrstvwxyz0123456789"[Math.floor(Math.random() * 32)]).join("")}`;
    await sql("insert into tenants (id, name, plan, status, isolation) values ($1, 'lost send', 'free', 'pending', 'shared')", [id]);
    await sql("insert into provisioning_runs (tenant_id, state, updated_at) values ($1, 'queued', now() - interval '30 minutes')", [id]);
    await sleep(1500);
    expect((await getTenant(id)).status).toBe("pending");

    await triggerScheduled();
    const tenant = await waitForStatus(id, "active");
    expect(tenant.provisioning.steps.map((step: any) => step.status)).toEqual(STEPS.map(() => "succeeded"));
    expect(await auditEvents(id, "tenant.provisioned")).toHaveLength(1);
  });

  it("resumes a step whose runner died mid-way once its lease has expired", async () => {
    const { tenant } = await createActive();
    // As if a runner claimed `cache` two minutes ago (past its lease) and vanished.
    await claimStep(tenant.id, "cache", "2 minutes");
    await sql("update provisioning_runs set state = 'running', updated_at = now() - interval '30 minutes' where tenant_id = $1", [tenant.id]);
    await triggerScheduled();
    const done = await waitForRun(tenant.id, "succeeded");
    expect(stepsByName(done).cache).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(done.status).toBe("active");
  });

  it("looks again when a delivery finds a step claimed, and finishes it once the claim's lease lapses", async () => {
    const { tenant } = await createActive();
    // As if a runner's claim committed while its connection broke before the answer (a PgBouncer
    // restart): `configuration` is `running` under a lease with 4 s left, and nobody holds it.
    await claimStep(tenant.id, "configuration", "56 seconds");
    await sql("update provisioning_runs set state = 'running' where tenant_id = $1", [tenant.id]);
    await deliver(tenant.id, 1);
    // No sweep runs here: only the delivery that found the step busy can bring the run to its end.
    const done = await waitForRun(tenant.id, "succeeded", 30_000);
    expect(stepsByName(done).configuration).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(done.status).toBe("active");
  }, 45_000);
});

describe("test hooks", () => {
  it("validate their input", async () => {
    expectProblem(await admin("POST", "/v1/_test/provisioning/deliver", { body: { tenantId: "x", times: 0 } }), 400, "invalid_request");
    expectProblem(await admin("PUT", "/v1/_test/provisioning/faults", { body: { step: "nope", times: 1, tenantId: "x" } }), 400, "invalid_request");
    expectProblem(await admin("PUT", "/v1/_test/provisioning/faults", { body: { step: "cache", times: 1 } }), 400, "invalid_request");
    expectProblem(await admin("POST", "/v1/_test/provisioning/deliver", { token: "wrong", body: { tenantId: "x", times: 1 } }), 401, "unauthenticated");
  });

  it("stay out of the OpenAPI document", async () => {
    const doc = await admin("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths).some((path) => path.includes("_test"))).toBe(false);
  });
});
