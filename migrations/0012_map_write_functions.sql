-- A map write in one statement, so that a write is one round trip to Postgres (with the
-- tenant-scoping statement, one Neon HTTP batch). The functions are SECURITY INVOKER and resolve
-- `map_records` through the caller's search_path: the shared tier's `tenantry_app` (search_path
-- public, forced row-level security) writes public.map_records, a dedicated tenant's role (search_path
-- its own schema) writes its own table. They grant nothing the caller does not already have, so
-- every role may execute them; the schema holds nothing else.
-- Semantics are those the TypeScript store had: the record row is locked, If-Match is checked on the
-- locked row, the map's header row (key '') carries its record count and bytes, and writes that can
-- push a total up check maxMaps / maxStorageBytes under the tenant's advisory lock, after the write,
-- in a fresh snapshot (read committed, VOLATILE: every statement takes a new one).
-- Errors carry their own SQLSTATE, mapped to problem documents by src/storage/maps/write-errors.ts:
-- TN412 If-Match failed, TN404 no such record, TNMAP maxMaps, TNBYT maxStorageBytes, TN503 contended.
CREATE SCHEMA IF NOT EXISTS tenantry_maps;--> statement-breakpoint
GRANT USAGE ON SCHEMA tenantry_maps TO PUBLIC;--> statement-breakpoint
CREATE OR REPLACE FUNCTION tenantry_maps.settle(p_tenant text, p_map text, p_records integer, p_bytes bigint, p_max_maps integer, p_max_bytes bigint)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
DECLARE
  v_count integer;
  v_maps integer;
  v_total bigint;
  v_check_maps boolean;
  v_check_bytes boolean;
BEGIN
  IF p_records = 0 AND p_bytes = 0 THEN
    RETURN;
  END IF;
  INSERT INTO map_records AS r (tenant_id, map, key, value, version, bytes)
    VALUES (p_tenant, p_map, '', jsonb_build_object('bytes', p_bytes), p_records, 0)
    ON CONFLICT (tenant_id, map, key) DO UPDATE
      SET version = r.version + excluded.version,
          value = jsonb_build_object('bytes', (r.value->>'bytes')::bigint + (excluded.value->>'bytes')::bigint),
          updated_at = now()
    RETURNING r.version INTO v_count;
  IF v_count <= 0 THEN
    DELETE FROM map_records r WHERE r.tenant_id = p_tenant AND r.map = p_map AND r.key = '';
  END IF;
  -- Lock order everywhere: record row, then map header row, then this lock; nothing after it.
  v_check_maps := p_records > 0 AND v_count = p_records AND p_max_maps IS NOT NULL;
  v_check_bytes := p_bytes > 0 AND p_max_bytes IS NOT NULL;
  IF NOT (v_check_maps OR v_check_bytes) THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('tenantry.maps.capacity'), hashtext(p_tenant));
  SELECT count(*)::int, coalesce(sum((r.value->>'bytes')::bigint), 0) INTO v_maps, v_total
    FROM map_records r WHERE r.tenant_id = p_tenant AND r.key = '' AND r.version > 0;
  IF v_check_maps AND v_maps > p_max_maps THEN
    RAISE EXCEPTION USING ERRCODE = 'TNMAP', MESSAGE = 'maxMaps exceeded';
  END IF;
  IF v_check_bytes AND v_total > p_max_bytes THEN
    RAISE EXCEPTION USING ERRCODE = 'TNBYT', MESSAGE = 'maxStorageBytes exceeded';
  END IF;
END
$$;--> statement-breakpoint
-- p_condition: 'none' (no If-Match), 'any' (If-Match: *) or 'versions' (p_versions).
CREATE OR REPLACE FUNCTION tenantry_maps.put(p_tenant text, p_map text, p_key text, p_value text, p_bytes integer, p_condition text, p_versions integer[], p_max_maps integer, p_max_bytes bigint)
RETURNS TABLE (written_version integer, written_at_ms bigint, created boolean) LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
DECLARE
  v_found boolean;
  v_old_version integer;
  v_old_bytes integer;
  v_version integer;
  v_at timestamptz;
BEGIN
  -- Creating races with creating (the insert finds the key taken) and with deleting; a few rounds
  -- settle it even when dozens of writers hit the same keys at once.
  FOR attempt IN 1..8 LOOP
    SELECT r.version, r.bytes INTO v_old_version, v_old_bytes FROM map_records r
      WHERE r.tenant_id = p_tenant AND r.map = p_map AND r.key = p_key
      FOR NO KEY UPDATE;
    v_found := FOUND;
    IF p_condition <> 'none' AND NOT (v_found AND (p_condition = 'any' OR v_old_version = ANY (p_versions))) THEN
      RAISE EXCEPTION USING ERRCODE = 'TN412', MESSAGE = 'If-Match does not hold';
    END IF;
    IF v_found THEN
      UPDATE map_records r SET value = p_value::jsonb, version = v_old_version + 1, bytes = p_bytes, updated_at = now()
        WHERE r.tenant_id = p_tenant AND r.map = p_map AND r.key = p_key
        RETURNING r.version, r.updated_at INTO v_version, v_at;
      PERFORM tenantry_maps.settle(p_tenant, p_map, 0, p_bytes::bigint - v_old_bytes, p_max_maps, p_max_bytes);
      RETURN QUERY SELECT v_version, floor(extract(epoch FROM v_at) * 1000)::bigint, false;
      RETURN;
    END IF;
    INSERT INTO map_records AS r (tenant_id, map, key, value, version, bytes)
      VALUES (p_tenant, p_map, p_key, p_value::jsonb, 1, p_bytes)
      ON CONFLICT DO NOTHING
      RETURNING r.version, r.updated_at INTO v_version, v_at;
    IF FOUND THEN
      PERFORM tenantry_maps.settle(p_tenant, p_map, 1, p_bytes::bigint, p_max_maps, p_max_bytes);
      RETURN QUERY SELECT v_version, floor(extract(epoch FROM v_at) * 1000)::bigint, true;
      RETURN;
    END IF;
  END LOOP;
  RAISE EXCEPTION USING ERRCODE = 'TN503', MESSAGE = 'the key is being written concurrently';
END
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION tenantry_maps.delete(p_tenant text, p_map text, p_key text, p_condition text, p_versions integer[])
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
DECLARE
  v_version integer;
  v_bytes integer;
BEGIN
  IF p_condition <> 'none' THEN
    SELECT r.version INTO v_version FROM map_records r
      WHERE r.tenant_id = p_tenant AND r.map = p_map AND r.key = p_key
      FOR NO KEY UPDATE;
    IF NOT (FOUND AND (p_condition = 'any' OR v_version = ANY (p_versions))) THEN
      RAISE EXCEPTION USING ERRCODE = 'TN412', MESSAGE = 'If-Match does not hold';
    END IF;
  END IF;
  DELETE FROM map_records r WHERE r.tenant_id = p_tenant AND r.map = p_map AND r.key = p_key
    RETURNING r.version, r.bytes INTO v_version, v_bytes;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'TN404', MESSAGE = 'no such record';
  END IF;
  PERFORM tenantry_maps.settle(p_tenant, p_map, -1, -v_bytes::bigint, NULL, NULL);
  RETURN v_version;
END
$$;
