-- The role that tenant-data transactions switch to with SET LOCAL ROLE. It owns no table and cannot
-- log in, so forced row-level security binds it with no exception. The migrating (owner) role is a
-- member so that it may switch to it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_app') THEN
    CREATE ROLE tenantry_app NOLOGIN NOINHERIT NOBYPASSRLS;
  END IF;
END
$$;--> statement-breakpoint
GRANT tenantry_app TO CURRENT_USER;
