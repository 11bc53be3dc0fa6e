import { z } from "@hono/zod-openapi";
import { TENANT_STATUSES } from "./tenant-table.ts";

/** The tenant vocabulary every layer shares: statuses, regions, limits and the row itself. */

export { TENANT_STATUSES, type TenantRow, type TenantStatus } from "./tenant-table.ts";

/** Cloudflare Durable Object location hints: where a dedicated tenant's runtime lives. */
export const REGIONS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;

/**
 * Any short region name is kept with the tenant; one of the location hints (REGIONS) also places
 * a dedicated tenant's runtime object near it.
 */
export const RegionSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "Use a short region name such as weur or enam (letters, digits, dashes).")
  .openapi({ description: `A location hint (${REGIONS.join(", ")}) places dedicated runtimes near it; other names are kept as given.`, example: "weur" });

export const LimitsSchema = z
  .object({
    requestsPerSecond: z.number(),
    burst: z.number(),
    requestsPerDay: z.number().nullable(),
    maxConcurrentRequests: z.number(),
    maxMaps: z.number().nullable(),
    maxStorageBytes: z.number().nullable(),
    maxConnections: z.number(),
    maxValueBytes: z.number(),
  })
  .openapi("Limits");

export const TenantIdParam = z.object({
  // Any string: a malformed id is simply a tenant that does not exist (404), not a 400.
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "ten_01jh5k7x9q0000000000000000" }),
});

/** Bounds of each automatic-promotion threshold (the plan's or a tenant override's). */
export const AUTO_PROMOTE_LIMITS = {
  storageBytes: z.number().int().min(1).max(1e12),
  sustainedRequestsPerSecond: z.number().positive().max(1e9),
  forMinutes: z.number().int().min(1).max(1440),
};

/** Thresholds of automatic promotion, laid over the plan's field by field. */
export const AutoPromoteSchema = z
  .strictObject({
    storageBytes: AUTO_PROMOTE_LIMITS.storageBytes.optional(),
    sustainedRequestsPerSecond: AUTO_PROMOTE_LIMITS.sustainedRequestsPerSecond.optional(),
    forMinutes: AUTO_PROMOTE_LIMITS.forMinutes.optional(),
  })
  .openapi("AutoPromote", { description: "Promote a shared tenant past these thresholds (storage, or a request rate held for `forMinutes`)." });
