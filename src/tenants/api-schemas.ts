import { z } from "@hono/zod-openapi";
import { noNul, storableJson } from "../http/schemas/storable.ts";
import { LIMIT_FIELDS, NULLABLE_LIMITS, PLAN_IDS, type Limits } from "../core/plans.ts";
import { AUTO_PROMOTE_LIMITS, AutoPromoteSchema, LimitsSchema, RegionSchema, TENANT_STATUSES } from "../core/tenant.ts";

const MAX_LIMIT_VALUE = 1e12;

function limitField(field: keyof Limits) {
  const base = z.number().int().min(1).max(MAX_LIMIT_VALUE);
  return NULLABLE_LIMITS.has(field) ? base.nullable().optional() : base.optional();
}

/** In a create body, `null` on a nullable limit means "unlimited". */
export const OverridesSchema = z
  .strictObject({
    ...(Object.fromEntries(LIMIT_FIELDS.map((field) => [field, limitField(field)])) as Record<(typeof LIMIT_FIELDS)[number], ReturnType<typeof limitField>>),
    autoPromote: AutoPromoteSchema.optional(),
  })
  .openapi("LimitOverrides", { description: "Any subset of the plan's limits, and `autoPromote` thresholds." });

/** In a PATCH body (JSON merge patch), `null` removes the override and the plan's value applies. */
export const OverridesPatchSchema = z.strictObject({
  ...(Object.fromEntries(
    LIMIT_FIELDS.map((field) => [field, z.number().int().min(1).max(MAX_LIMIT_VALUE).nullable().optional()]),
  ) as Record<(typeof LIMIT_FIELDS)[number], z.ZodOptional<z.ZodNullable<z.ZodNumber>>>),
  autoPromote: z
    .strictObject({
      storageBytes: AUTO_PROMOTE_LIMITS.storageBytes.nullable().optional(),
      sustainedRequestsPerSecond: AUTO_PROMOTE_LIMITS.sustainedRequestsPerSecond.nullable().optional(),
      forMinutes: AUTO_PROMOTE_LIMITS.forMinutes.nullable().optional(),
    })
    .nullable()
    .optional(),
});

const MAX_METADATA_BYTES = 16 * 1024;

export const MetadataSchema = z
  .record(z.string().min(1).max(128), z.json())
  .refine((value) => Object.keys(value).length <= 64, "At most 64 metadata fields.")
  .refine((value) => JSON.stringify(value).length <= MAX_METADATA_BYTES, `Metadata is limited to ${MAX_METADATA_BYTES} bytes.`)
  .superRefine(storableJson)
  .openapi("Metadata", { description: "Free-form JSON, kept with the tenant.", type: "object" });

export const TenantName = z.string().trim().min(1).max(200).refine(...noNul);

export const CreateTenantBody = z
  .strictObject({
    name: TenantName,
    plan: z.enum(PLAN_IDS),
    email: z.email().max(320).optional(),
    region: RegionSchema.optional(),
    overrides: OverridesSchema.optional(),
    metadata: MetadataSchema.optional(),
  })
  .openapi("CreateTenant");
export type CreateTenantInput = z.infer<typeof CreateTenantBody>;

const ProvisioningStepSchema = z.object({
  name: z.string(),
  status: z.enum(["pending", "running", "succeeded", "failed"]),
  attempts: z.number().int(),
  durationMs: z.number().int().nullable(),
  error: z.string().nullable(),
});

export const TenantSchema = z
  .object({
    id: z.string().openapi({ example: "ten_01jh5k7x9q0000000000000000" }),
    name: z.string(),
    plan: z.enum(PLAN_IDS),
    status: z.enum(TENANT_STATUSES),
    isolation: z.enum(["shared", "dedicated"]),
    region: z.string().nullable(),
    limits: LimitsSchema,
    overrides: z.record(z.string(), z.union([z.number().nullable(), AutoPromoteSchema])),
    features: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    email: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
    purgeAfter: z.string().nullable(),
    provisioning: z.object({
      state: z.enum(["queued", "running", "succeeded", "failed"]),
      attempts: z.number().int(),
      steps: z.array(ProvisioningStepSchema),
      error: z.string().nullable(),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
    }),
    migration: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("Tenant");

export const CreatedTenantSchema = z
  .object({
    tenant: TenantSchema,
    apiKey: z.object({ id: z.string(), key: z.string(), scopes: z.array(z.enum(["read", "write"])) }),
  })
  .openapi("CreatedTenant");

export const ListTenantsQuery = z.object({
  status: z.enum(TENANT_STATUSES).optional(),
  plan: z.enum(PLAN_IDS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(256).optional(),
});

export const TenantListSchema = z.object({ data: z.array(TenantSchema), nextCursor: z.string().nullable() }).openapi("TenantList");

export const UpdateTenantBody = z
  .strictObject({
    name: TenantName.optional(),
    plan: z.enum(PLAN_IDS).optional(),
    overrides: OverridesPatchSchema.nullable()
      .optional()
      .openapi({ description: "Merged field by field; `null` removes an override (the plan's value applies again); `null` for the whole object removes all." }),
    metadata: z
      .record(z.string().min(1).max(128), z.json())
      .superRefine(storableJson)
      .nullable()
      .optional()
      .openapi({ description: "JSON merge patch (RFC 7396) of the metadata: `null` removes a field.", type: "object" }),
    status: z
      .enum(["suspended", "active"])
      .optional()
      .openapi({ description: "`suspended` from `active` only; `active` (resume) from `suspended` only; otherwise 409." }),
  })
  .openapi("UpdateTenant");
export type UpdateTenantInput = z.infer<typeof UpdateTenantBody>;

export const DeleteTenantQuery = z.object({
  hard: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "`true` purges everything now instead of after the retention period; afterwards the tenant is 404." }),
});
