-- Secret names list in byte order of their UTF-8 text: the "C" collation compares bytes.
ALTER TABLE "tenant_secrets" ALTER COLUMN "name" TYPE text COLLATE "C";--> statement-breakpoint
-- Forced: row-level security binds even the table owner (as for map_records).
ALTER TABLE "tenant_secrets" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "tenant_secrets" TO tenantry_app;--> statement-breakpoint
-- Data keys: enabled, not forced. The data plane (tenantry_app) sees its own tenant's row and may
-- create it lazily; the owner role re-wraps every tenant's row (master-key rotation, BYOK).
GRANT SELECT, INSERT ON "tenant_data_keys" TO tenantry_app;
