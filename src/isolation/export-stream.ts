import { and, asc, eq, gt, ne, or, sql } from "drizzle-orm";
import { openDatabase } from "../db/client.ts";
import { HEADER_KEY } from "../storage/maps/headers.ts";
import { mapRecords } from "../storage/schema.ts";
import { withTenantData } from "../storage/tenant-data.ts";
import type { TenantRow } from "../core/tenant.ts";

export const EXPORT_FORMAT_VERSION = 1;
const PAGE = 500;

/**
 * The tenant as NDJSON: a `tenant` line (configuration), one `record` line per map record with its
 * version, and an `end` line with the count. Streamed a page at a time through the tenant's own
 * isolation path, so memory stays flat whatever the tenant's size. Secrets are left out: their
 * ciphertexts are bound to this tenant id and to the platform's keys (docs/SECRETS.md).
 */
export function exportStream(env: Env, row: TenantRow): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const database = openDatabase(env);
  const scope = { id: row.id, isolation: row.isolation };
  let position: { map: string; key: string } | undefined;
  let records = 0;
  let finished = false;
  const line = (value: unknown) => encoder.encode(`${JSON.stringify(value)}\n`);

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(
        line({
          type: "tenant",
          format: EXPORT_FORMAT_VERSION,
          exportedAt: new Date().toISOString(),
          tenant: { id: row.id, name: row.name, plan: row.plan, isolation: row.isolation, region: row.region, email: row.email, overrides: row.overrides, metadata: row.metadata },
        }),
      );
    },
    async pull(controller) {
      if (finished) return;
      try {
        const rows = await withTenantData(database.db, scope, (tx) =>
          tx
            // The value as text: drizzle's jsonb decoding would turn the JSON string "123" into 123.
            .select({ map: mapRecords.map, key: mapRecords.key, value: sql<string>`${mapRecords.value}::text`, version: mapRecords.version, updatedAt: mapRecords.updatedAt })
            .from(mapRecords)
            .where(
              and(
                eq(mapRecords.tenantId, row.id),
                ne(mapRecords.key, HEADER_KEY),
                position ? or(gt(mapRecords.map, position.map), and(eq(mapRecords.map, position.map), gt(mapRecords.key, position.key))) : undefined,
              ),
            )
            .orderBy(asc(mapRecords.map), asc(mapRecords.key))
            .limit(PAGE),
        );
        for (const record of rows) {
          controller.enqueue(line({ type: "record", map: record.map, key: record.key, value: JSON.parse(record.value) as unknown, version: record.version, updatedAt: record.updatedAt.toISOString() }));
        }
        records += rows.length;
        const last = rows.at(-1);
        if (last) position = { map: last.map, key: last.key };
        if (rows.length < PAGE) {
          finished = true;
          controller.enqueue(line({ type: "end", records }));
          controller.close();
          await database.close();
        }
      } catch (error) {
        finished = true;
        controller.error(error);
        await database.close();
      }
    },
    async cancel() {
      finished = true;
      await database.close();
    },
  });
}
