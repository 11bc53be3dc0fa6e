import { integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tenantIsolationPolicy } from "../db/tenant-policy.ts";
import { tenants } from "../core/tenant-table.ts";

/**
 * One data key per tenant, stored only wrapped (AES-256-GCM, tenant id bound as additional data).
 * `wrapping_key_id` names the wrapping key: `mk_<16 hex>` for a platform master key, `byok:<id>`
 * for the tenant's own. Row-level security binds the data-plane role `tenantry_app`; it is not
 * forced, so the owner role (provisioning, master-key rotation, BYOK changes) sees every row.
 */
export const tenantDataKeys = pgTable(
  "tenant_data_keys",
  {
    tenantId: text("tenant_id")
      .primaryKey()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** base64 of iv(12) ‖ ciphertext+tag of the 32 raw key bytes. */
    wrappedKey: text("wrapped_key").notNull(),
    wrappingKeyId: text("wrapping_key_id").notNull(),
    /** The data key's generation; secrets record the one they were encrypted under. */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Last re-wrap (master-key rotation, BYOK change); the data key itself is unchanged. */
    rotatedAt: timestamp("rotated_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    tenantIsolationPolicy("tenant_data_keys_tenant_isolation", t.tenantId),
  ],
).enableRLS();

/**
 * Tenant secrets, encrypted under the tenant's data key (AES-256-GCM, tenant id and name bound as
 * additional data). Forced row-level security, as for map records.
 */
export const tenantSecrets = pgTable(
  "tenant_secrets",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenantDataKeys.tenantId, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** base64 of ciphertext+tag. */
    ciphertext: text("ciphertext").notNull(),
    /** base64 of the 12-byte IV. */
    iv: text("iv").notNull(),
    keyVersion: integer("key_version").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.name] }),
    tenantIsolationPolicy("tenant_secrets_tenant_isolation", t.tenantId),
  ],
).enableRLS();
