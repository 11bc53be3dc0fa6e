import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { runtimeFor } from "../../durable-objects/tenant-runtime/stub.ts";
import { reportEdgeCountsNow } from "../edge/edge-tally.ts";
import { TenantIdParam } from "../core/tenant.ts";
import { findTenantRow } from "../tenants/repository.ts";
import { usageSeries, usageTotals, type Granularity } from "./usage-query.ts";

const MAX_POINTS = 10_000;
const STEP_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

const UsageSchema = z
  .object({
    start: z.string(),
    requests: z.number(),
    rejected: z.number(),
    readOps: z.number(),
    writeOps: z.number(),
    bytesIn: z.number(),
    bytesOut: z.number(),
    connectionSeconds: z.number(),
    peakConnections: z.number(),
    messages: z.number(),
  })
  .openapi("Usage");

const UsageQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Inclusive, taken back to the start of its bucket (usage is kept by the minute); default: 24 h before `to`." }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Exclusive; default: now." }),
  granularity: z.enum(["minute", "hour", "day"]).default("hour"),
});

const getUsageRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{id}/usage",
  operationId: "usage.get",
  tags: ["usage"],
  summary: "Usage series and totals (flushed counters; call usage/flush first for exact figures)",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam, query: UsageQuery },
  responses: {
    200: {
      description: "Usage in UTC-aligned buckets, empty buckets as zeros",
      content: {
        "application/json": {
          schema: z.object({ tenantId: z.string(), granularity: z.enum(["minute", "hour", "day"]), series: z.array(UsageSchema), totals: UsageSchema }),
        },
      },
    },
    ...problems(400, 401, 404, 503),
  },
});

const flushUsageRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{id}/usage/flush",
  operationId: "usage.flush",
  tags: ["usage"],
  summary: "Write every counter of the tenant durably to Postgres",
  security: ADMIN_SECURITY,
  request: { params: TenantIdParam },
  responses: {
    200: { description: "Every counter is in Postgres", content: { "application/json": { schema: z.object({ flushed: z.literal(true) }) } } },
    ...problems(401, 404, 503),
  },
});

export const meteringRoutes = createRouter()
  .openapi(getUsageRoute, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const to = query.to ? new Date(query.to) : new Date();
    const asked = query.from ? new Date(query.from) : new Date(to.getTime() - STEP_MS.day);
    if (asked >= to) {
      throw new ApiError("invalid_request", "`from` must be before `to`.", { errors: [{ path: "query.from", message: "Must be before `to`" }] });
    }
    // Usage is kept by the minute: `from` goes back to the start of its bucket, whose counts are whole.
    const step = STEP_MS[query.granularity];
    const from = new Date(Math.floor(asked.getTime() / step) * step);
    if ((to.getTime() - from.getTime()) / step > MAX_POINTS) {
      throw new ApiError("invalid_request", `At most ${MAX_POINTS} buckets per query: narrow the range or coarsen the granularity.`, {
        errors: [{ path: "query.granularity", message: `Range is over ${MAX_POINTS} buckets` }],
      });
    }
    const { db } = c.get("services");
    if (!(await findTenantRow(db, id))) throw new ApiError("not_found", "No such tenant.");
    const series = await usageSeries(db, id, from, to, query.granularity);
    return c.json({ tenantId: id, granularity: query.granularity, series, totals: usageTotals(series, from) }, 200);
  })
  .openapi(flushUsageRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findTenantRow(c.get("services").db, id);
    if (!row) throw new ApiError("not_found", "No such tenant.");
    // After an isolation change, the previous tier's runtime object may still hold counters.
    const placements: Array<"shared" | "dedicated"> = row.migration ? ["shared", "dedicated"] : [row.isolation];
    try {
      // Refusals this isolate decided alone reach the runtime objects first (others report within 1 s).
      await reportEdgeCountsNow(c.env);
      await Promise.all(placements.map((isolation) => runtimeFor(c.env, { id: row.id, isolation, region: row.region }).flushUsage(id)));
    } catch {
      throw new ApiError("unavailable", "Usage could not be written to Postgres yet; nothing is lost, retry later.", { retryAfterMs: 1000 });
    }
    return c.json({ flushed: true as const }, 200);
  });
