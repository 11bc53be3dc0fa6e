import { describe, expect, it } from "vitest";
import { admin } from "../../support/api.ts";
import { connect } from "../../support/realtime-client.ts";
import { activeTenant } from "../../support/tenants.ts";

describe("GET /v1/realtime across hibernation", () => {
  it("keeps a connection's subscriptions when its runtime object hibernates and wakes", async () => {
    const t = await activeTenant({ plan: "enterprise" });
    const c = await connect({ token: t.key });
    expect(await c.request({ op: "subscribe", map: "feed" })).toMatchObject({ ok: true });
    const first = (await admin("GET", `/v1/_test/runtime/${t.id}/dedicated`)).body.bootedAt as number;

    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const again = (await admin("GET", `/v1/_test/runtime/${t.id}/dedicated`)).body.bootedAt as number;
    await t.call("PUT", "/v1/maps/feed/k", { body: "after waking" });
    expect(await c.next((m) => m.event === "change")).toMatchObject({ map: "feed", key: "k", value: "after waking" });
    expect(again).toBeGreaterThan(first);
    await c.close();
  }, 60_000);
});
