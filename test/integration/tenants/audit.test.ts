import { describe, expect, it } from "vitest";
import { admin, createTenant, expectProblem, type ApiResponse } from "../../support/api.ts";
import { auditEvents, createActive } from "../../support/control-plane.ts";

describe("GET /v1/tenants/{id}/audit", () => {
  it("lists events newest first, in pages that together hold every event once", async () => {
    const { tenant } = await createActive();
    for (let i = 0; i < 3; i++) {
      const key = await admin("POST", `/v1/tenants/${tenant.id}/keys`, { body: { name: `k${i}` } });
      expect((await admin("DELETE", `/v1/tenants/${tenant.id}/keys/${key.body.id}`)).status).toBe(204);
    }
    expect((await admin("PATCH", `/v1/tenants/${tenant.id}`, { body: { name: "renamed" } })).status).toBe(200);

    const all = await auditEvents(tenant.id);
    // created, key.created (default), provisioned, 3 × (key.created, key.revoked), updated
    expect(all).toHaveLength(10);
    expect(all[0].action).toBe("tenant.updated");
    expect(all.at(-1).action).toBe("tenant.created");
    const ids = all.map((event) => event.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    for (const event of all) {
      expect(Object.keys(event).sort()).toEqual(["action", "actor", "at", "details", "id"]);
      expect(event.id).toMatch(/^evt_[0-9a-z]{26}$/);
      expect(Number.isNaN(Date.parse(event.at))).toBe(false);
      expect(event.actor).toBe(event.action === "tenant.provisioned" ? "system" : "admin");
    }

    const first = await admin("GET", `/v1/tenants/${tenant.id}/audit`);
    expect(first.body.data).toHaveLength(10);
    expect(first.body.nextCursor).toBeNull();

    const paged: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: ApiResponse = await admin("GET", `/v1/tenants/${tenant.id}/audit?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(response.status).toBe(200);
      expect(response.body.data.length).toBeLessThanOrEqual(3);
      paged.push(...response.body.data);
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(paged.map((event) => event.id)).toEqual(ids);
  });

  it("filters by action, with pagination", async () => {
    const { tenant } = await createTenant();
    for (let i = 0; i < 4; i++) await admin("POST", `/v1/tenants/${tenant.id}/keys`, { body: { name: `k${i}` } });
    const page = await admin("GET", `/v1/tenants/${tenant.id}/audit?action=key.created&limit=2`);
    expect(page.body.data.map((event: any) => event.action)).toEqual(["key.created", "key.created"]);
    expect(page.body.data[0].details.name).toBe("k3");
    const rest = await admin("GET", `/v1/tenants/${tenant.id}/audit?action=key.created&limit=100&cursor=${page.body.nextCursor}`);
    expect(rest.body.data.map((event: any) => event.details.name)).toEqual(["k1", "k0", "default"]);
    expect(rest.body.nextCursor).toBeNull();
    const none = await admin("GET", `/v1/tenants/${tenant.id}/audit?action=tenant.suspended`);
    expect(none.body).toEqual({ data: [], nextCursor: null });
  });

  it("keeps the log of a soft-deleted tenant readable", async () => {
    const { tenant } = await createTenant();
    expect((await admin("DELETE", `/v1/tenants/${tenant.id}`)).status).toBe(202);
    const events = await auditEvents(tenant.id);
    expect(events[0].action).toBe("tenant.deleted");
  });

  it("rejects bad input with 400 and unknown tenants with 404", async () => {
    const { tenant } = await createTenant();
    for (const query of ["limit=0", "limit=101", "limit=abc", "cursor=***", "cursor=eyJ4IjoxfQ", "action=bad", "action=DROP%20TABLE"]) {
      expectProblem(await admin("GET", `/v1/tenants/${tenant.id}/audit?${query}`), 400, "invalid_request");
    }
    expectProblem(await admin("GET", "/v1/tenants/ten_00000000000000000000000000/audit"), 404, "not_found");
    expectProblem(await admin("GET", `/v1/tenants/${tenant.id}/audit`, { token: null }), 401, "unauthenticated");
  });
});
