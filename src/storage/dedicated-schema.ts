import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { dedicatedNames } from "./dedicated-names.ts";

/**
 * Creates (idempotently) a dedicated tenant's schema, its `map_records` table shaped like the
 * shared one, and a role that can use that schema and nothing else. The owner role becomes a
 * member so it can switch to it per transaction.
 */
export async function ensureDedicatedSchema(db: Database, tenantId: string): Promise<{ schema: string; role: string }> {
  const names = dedicatedNames(tenantId);
  const schema = sql.identifier(names.schema);
  const role = sql.identifier(names.role);
  await db.transaction(async (tx) => {
    // Serialise concurrent provisioning of the same tenant: CREATE ROLE has no IF NOT EXISTS.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${names.role}))`);
    const existing = await tx.execute(sql`select 1 from pg_roles where rolname = ${names.role}`);
    if (existing.rows.length === 0) {
      await tx.execute(sql`create role ${role} nologin noinherit nobypassrls`);
    }
    await tx.execute(sql`grant ${role} to current_user`);
    await tx.execute(sql`create schema if not exists ${schema}`);
    await tx.execute(sql`create table if not exists ${schema}.map_records (like public.map_records including all)`);
    await tx.execute(sql.raw(`alter table ${quote(names.schema)}.map_records drop constraint if exists map_records_tenant_check`));
    await tx.execute(
      sql`alter table ${schema}.map_records add constraint map_records_tenant_check check (tenant_id = ${sql.raw(literal(tenantId))})`,
    );
    await tx.execute(sql`grant usage on schema ${schema} to ${role}`);
    await tx.execute(sql`grant select, insert, update, delete on ${schema}.map_records to ${role}`);
  });
  return names;
}

export async function dropDedicatedSchema(db: Database, tenantId: string): Promise<void> {
  const names = dedicatedNames(tenantId);
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${names.role}))`);
    await tx.execute(sql`drop schema if exists ${sql.identifier(names.schema)} cascade`);
    const existing = await tx.execute(sql`select 1 from pg_roles where rolname = ${names.role}`);
    if (existing.rows.length > 0) await tx.execute(sql`drop role ${sql.identifier(names.role)}`);
  });
}

// The names come from dedicatedNames (a validated tenant id), never from request input.
function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
