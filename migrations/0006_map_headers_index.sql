-- Map header rows (key '', see src/storage/maps/headers.ts) hold each map's record count and bytes.
-- GET /v1/maps and the maxMaps / maxStorageBytes checks read only them: O(maps), not O(records).
-- Dedicated tables created from now on copy this index (CREATE TABLE ... LIKE ... INCLUDING ALL);
-- the loop adds it to those that exist already.
CREATE INDEX IF NOT EXISTS "map_records_headers_idx" ON "map_records" USING btree ("tenant_id", "map") WHERE "key" = '';--> statement-breakpoint
DO $$
DECLARE
  dedicated text;
BEGIN
  FOR dedicated IN
    SELECT table_schema FROM information_schema.tables WHERE table_name = 'map_records' AND table_schema LIKE 't\_%'
  LOOP
    EXECUTE format('CREATE INDEX IF NOT EXISTS map_records_headers_idx ON %I.map_records USING btree (tenant_id, map) WHERE key = %L', dedicated, '');
  END LOOP;
END
$$;
