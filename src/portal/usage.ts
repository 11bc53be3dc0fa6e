import { z } from "@hono/zod-openapi";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import { usageSeries, usageTotals, type Granularity } from "../metering/usage-query.ts";

// The same query and answer as GET /v1/tenants/{id}/usage, for the portal session's tenant.
const MAX_POINTS = 10_000;
const STEP_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export const PortalUsageQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Inclusive; default: 24 h before `to`." }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Exclusive; default: now." }),
  granularity: z.enum(["minute", "hour", "day"]).default("hour"),
});

export async function usageReport(db: Database, tenantId: string, query: z.infer<typeof PortalUsageQuery>) {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - STEP_MS.day);
  if (from >= to) {
    throw new ApiError("invalid_request", "`from` must be before `to`.", { errors: [{ path: "query.from", message: "Must be before `to`" }] });
  }
  if ((to.getTime() - from.getTime()) / STEP_MS[query.granularity] > MAX_POINTS) {
    throw new ApiError("invalid_request", `At most ${MAX_POINTS} buckets per query: narrow the range or coarsen the granularity.`, {
      errors: [{ path: "query.granularity", message: `Range is over ${MAX_POINTS} buckets` }],
    });
  }
  const series = await usageSeries(db, tenantId, from, to, query.granularity);
  return { tenantId, granularity: query.granularity, series, totals: usageTotals(series, from) };
}
