// Every table, for drizzle-kit and for typed queries. Each domain owns its own schema file.
export * from "./roles.ts";
export * from "../core/tenant-table.ts";
export * from "../tenants/idempotency-schema.ts";
export * from "../keys/schema.ts";
export * from "../provisioning/schema.ts";
export * from "../audit/schema.ts";
export * from "../metering/schema.ts";
export * from "../storage/schema.ts";
export * from "../secrets/schema.ts";
export * from "../webhooks/schema.ts";
export * from "../billing/schema.ts";
export * from "../portal/schema.ts";
