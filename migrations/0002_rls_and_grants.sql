-- Lists are in byte order of the UTF-8 key: the "C" collation compares bytes.
ALTER TABLE "map_records" ALTER COLUMN "map" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "map_records" ALTER COLUMN "key" TYPE text COLLATE "C";--> statement-breakpoint
-- Forced: row-level security binds even the table owner.
ALTER TABLE "map_records" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO tenantry_app;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "map_records" TO tenantry_app;
