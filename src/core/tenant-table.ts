import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { Isolation, LimitOverrides, PlanId } from "./plans.ts";

export const TENANT_STATUSES = ["pending", "provisioning", "active", "suspended", "failed", "deleted"] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const tenants = pgTable(
  "tenants",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    plan: text("plan").$type<PlanId>().notNull(),
    status: text("status").$type<TenantStatus>().notNull(),
    isolation: text("isolation").$type<Isolation>().notNull(),
    region: text("region"),
    email: text("email"),
    overrides: jsonb("overrides").$type<LimitOverrides>().notNull().default({}),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    migration: jsonb("migration").$type<Record<string, unknown> | null>(),
    /** v1.1: the tenant's gateway origin override, `{ origin, timeoutMs }`. */
    gateway: jsonb("gateway").$type<{ origin: string; timeoutMs: number } | null>(),
    /** v1.1: where billing exports go, `{ stripeCustomerId }`. */
    billing: jsonb("billing").$type<{ stripeCustomerId: string } | null>(),
    /** Bumped on every change that edges must see; cached tenant contexts compare against it. */
    configVersion: integer("config_version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
    purgeAfter: timestamp("purge_after", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    // Lists walk ids newest first (ids are time-ordered); the primary key serves the unfiltered list.
    index("tenants_status_idx").on(t.status, t.id.desc()),
    index("tenants_plan_idx").on(t.plan, t.id.desc()),
    index("tenants_purge_idx").on(t.purgeAfter).where(sql`${t.purgeAfter} is not null`),
  ],
);

/** A tenant as stored in Postgres. */
export type TenantRow = typeof tenants.$inferSelect;
