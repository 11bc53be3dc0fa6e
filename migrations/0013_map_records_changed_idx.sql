-- An isolation migration's catch-up passes and its final sync read "the tenant's rows changed since T":
-- with this index that costs O(rows changed), not O(rows), so the write pause does not grow with the
-- tenant (src/isolation/workflow.ts). Dedicated tables created from now on copy it (LIKE ... INCLUDING
-- ALL); the loop adds it to those that exist already.
CREATE INDEX IF NOT EXISTS "map_records_changed_idx" ON "map_records" USING btree ("tenant_id", "updated_at");--> statement-breakpoint
DO $$
DECLARE
  dedicated text;
BEGIN
  FOR dedicated IN
    SELECT table_schema FROM information_schema.tables WHERE table_name = 'map_records' AND table_schema LIKE 't\_%'
  LOOP
    EXECUTE format('CREATE INDEX IF NOT EXISTS map_records_changed_idx ON %I.map_records USING btree (tenant_id, updated_at)', dedicated);
  END LOOP;
END
$$;
