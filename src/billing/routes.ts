import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/problem.ts";
import { ADMIN_SECURITY, createRouter } from "../http/router.ts";
import { problems } from "../http/schemas/problem.ts";
import { openServices } from "../services/open-services.ts";
import { errorMessage, logEvent } from "../lib/log.ts";
import { stripeExportSetting } from "./config.ts";
import { exportHour, SimulatedCrash } from "./export-hour.ts";
import { listExports } from "./export-status.ts";
import { HOUR_MS, hourStart, isHourStart, lastClosedHour } from "./hours.ts";
import { billingExportHours } from "./schema.ts";
import { stopAfterEventsForTest } from "../test-hooks/export-hooks.ts";

/** 35 days of hours and a little more: what one list may span. */
const MAX_RANGE_MS = 40 * 24 * HOUR_MS;

const HourExportSchema = z
  .object({
    hour: z.string().openapi({ description: "Start of the UTC hour", example: "2026-12-03T21:00:00.000Z" }),
    tenants: z.number().int().openapi({ description: "Tenants with at least one meter event in the hour" }),
    events: z.number().int().openapi({ description: "Meter events of the hour, whatever their state" }),
    status: z.enum(["pending", "sent", "partial", "failed"]).openapi({
      description: "pending: events still to send (retried by the next scheduled run); sent: all accepted; partial: some refused by Stripe; failed: none accepted (or the hour was over 35 days old)",
    }),
    failures: z.array(z.object({ tenantId: z.string(), error: z.string() })),
  })
  .openapi("BillingExportHour");

const ExportsQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Inclusive; default: 24 h before `to`." }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Exclusive; default: now." }),
});

const RunBody = z.strictObject({
  hour: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Start of a closed UTC hour; default: the last closed one.", example: "2026-12-03T21:00:00Z" }),
});

const listExportsRoute = createRoute({
  method: "get",
  path: "/v1/billing/exports",
  operationId: "billing.listExports",
  tags: ["billing"],
  summary: "Stripe meter export, hour by hour",
  security: ADMIN_SECURITY,
  request: { query: ExportsQuery },
  responses: {
    200: { description: "Exported hours in the range, oldest first", content: { "application/json": { schema: z.object({ data: z.array(HourExportSchema) }) } } },
    ...problems(400, 401, 503),
  },
});

const runExportRoute = createRoute({
  method: "post",
  path: "/v1/billing/exports/run",
  operationId: "billing.runExport",
  tags: ["billing"],
  summary: "Export one closed hour to Stripe now (idempotent: what was sent is not sent again; events Stripe refused are retried)",
  security: ADMIN_SECURITY,
  request: { body: { required: false, content: { "application/json": { schema: RunBody } } } },
  responses: {
    202: { description: "The export runs; follow it with billing.listExports", content: { "application/json": { schema: z.object({ hour: z.string() }) } } },
    ...problems(400, 401, 409, 503),
  },
});

export const billingRoutes = createRouter()
  .openapi(listExportsRoute, async (c) => {
    const query = c.req.valid("query");
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 24 * HOUR_MS);
    if (from >= to) throw new ApiError("invalid_request", "`from` must be before `to`.", { errors: [{ path: "query.from", message: "Must be before `to`" }] });
    if (to.getTime() - from.getTime() > MAX_RANGE_MS) {
      throw new ApiError("invalid_request", "At most 40 days per query.", { errors: [{ path: "query.from", message: "Range is over 40 days" }] });
    }
    return c.json({ data: await listExports(c.get("services").db, from, to) }, 200);
  })
  .openapi(runExportRoute, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof RunBody>;
    const now = new Date();
    let hour = lastClosedHour(now);
    if (body.hour !== undefined) {
      hour = new Date(body.hour);
      if (!isHourStart(hour)) {
        throw new ApiError("invalid_request", "`hour` must be the start of a UTC hour.", {
          errors: [{ path: "body.hour", message: `Not the start of an hour; did you mean ${hourStart(hour).toISOString()}?` }],
        });
      }
      if (hour.getTime() + HOUR_MS > now.getTime()) {
        throw new ApiError("invalid_request", "That hour has not ended yet.", { errors: [{ path: "body.hour", message: "Not a closed hour" }] });
      }
    }
    const setting = stripeExportSetting(c.env);
    if (!setting.on) throw new ApiError("conflict", `The Stripe export is off: ${setting.reason}.`);
    // Recorded before the answer: the hour shows as pending at once, and a database outage is a 503 here.
    await c.get("services").db.insert(billingExportHours).values({ hour, status: "pending" }).onConflictDoNothing();
    const stopAfterSent = stopAfterEventsForTest(c.env, (name) => c.req.header(name));
    // The request's own connections close with its response: the run, which outlives it, has its own.
    const scope = openServices(c.env);
    c.executionCtx.waitUntil(
      exportHour(scope.services.db, setting.config, hour, now, { retryRejected: true, ...(stopAfterSent ? { stopAfterSent } : {}) })
        .catch((error: unknown) => {
          const level = error instanceof SimulatedCrash ? "warn" : "error";
          logEvent(level, "stripe export run failed; the next scheduled run finishes it", { hour: hour.toISOString(), error: errorMessage(error) });
        })
        .finally(() => scope.close()),
    );
    return c.json({ hour: hour.toISOString() }, 202);
  });
