import { and, eq, ne, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ApiError } from "../http/problem.ts";
import type { Limits } from "../core/plans.ts";
import { HEADER_KEY, rebuildMapHeaders, tenantStorage } from "../storage/maps/headers.ts";
import { MAP_NAME, newKeyProblem } from "../storage/maps/names.ts";
import { recordBytes } from "../storage/maps/operations.ts";
import { prepareValue } from "../storage/maps/value.ts";
import { mapRecords } from "../storage/schema.ts";
import { withTenantData, type TenantDataScope } from "../storage/tenant-data.ts";

const BATCH = 500;
const MAX_VERSION = 2_147_483_647;

interface ImportedRecord {
  map: string;
  key: string;
  json: string;
  bytes: number;
  version: number;
  updatedAt: Date;
}

function lineError(line: number, message: string): ApiError {
  return new ApiError("invalid_request", `line ${line}: ${message}`, { errors: [{ path: `line ${line}`, message }] });
}

/** One NDJSON line as a record to insert, or a clear error naming the line. */
function parseLine(text: string, line: number, limits: Limits): ImportedRecord | "tenant" | { end: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw lineError(line, "Not valid JSON.");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw lineError(line, "Each line is a JSON object.");
  const entry = value as Record<string, unknown>;
  if (entry.type === "tenant") return "tenant";
  if (entry.type === "end") {
    if (!Number.isInteger(entry.records)) throw lineError(line, "`records` must be an integer.");
    return { end: entry.records as number };
  }
  if (entry.type !== "record") throw lineError(line, "`type` must be tenant, record or end.");
  const { map, key, version, updatedAt } = entry;
  if (typeof map !== "string" || !MAP_NAME.test(map)) throw lineError(line, "`map` must match ^[A-Za-z0-9_-]{1,64}$.");
  if (typeof key !== "string") throw lineError(line, "`key` must be a string.");
  const problem = newKeyProblem(key);
  if (problem) throw lineError(line, `key: ${problem}`);
  if (!("value" in entry)) throw lineError(line, "`value` is missing.");
  if (!Number.isInteger(version) || (version as number) < 1 || (version as number) > MAX_VERSION) throw lineError(line, "`version` must be a positive integer.");
  const when = updatedAt === undefined ? new Date() : new Date(String(updatedAt));
  if (Number.isNaN(when.getTime())) throw lineError(line, "`updatedAt` must be an ISO-8601 time.");
  let prepared;
  try {
    prepared = prepareValue(JSON.stringify(entry.value), limits.maxValueBytes);
  } catch (error) {
    throw lineError(line, error instanceof ApiError ? error.message : "Invalid value.");
  }
  return { map, key, json: prepared.json, bytes: recordBytes(key, prepared), version: version as number, updatedAt: when };
}

/**
 * Loads an export into an empty tenant in one transaction through the tenant's own isolation path:
 * every line is validated (the first bad one is named), duplicates are refused, versions are kept,
 * map headers are rebuilt and the plan's capacity limits checked before anything commits.
 */
export async function importNdjson(db: Database, scope: TenantDataScope, limits: Limits, body: string): Promise<number> {
  const lines = body.split("\n");
  return withTenantData(db, scope, async (tx) => {
    const [existing] = await tx
      .select({ key: mapRecords.key })
      .from(mapRecords)
      .where(and(eq(mapRecords.tenantId, scope.id), ne(mapRecords.key, HEADER_KEY)))
      .limit(1);
    if (existing) throw new ApiError("conflict", "Import needs an empty tenant: this one already has map records.");

    const seen = new Set<string>();
    let batch: ImportedRecord[] = [];
    let imported = 0;
    let declaredEnd: { line: number; records: number } | undefined;
    /** The body began with an export's `tenant` line: it must end with the export's `end` line too. */
    let isExport = false;
    let lastLine = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await tx.insert(mapRecords).values(
        batch.map((record) => ({
          tenantId: scope.id,
          map: record.map,
          key: record.key,
          value: sql`${record.json}::jsonb`,
          version: record.version,
          bytes: record.bytes,
          updatedAt: record.updatedAt,
        })),
      );
      batch = [];
    };

    for (let index = 0; index < lines.length; index++) {
      const text = lines[index]!.trim();
      if (text === "") continue;
      const line = index + 1;
      if (declaredEnd) throw lineError(line, "Nothing may follow the `end` line.");
      const parsed = parseLine(text, line, limits);
      lastLine = line;
      if (parsed === "tenant") {
        if (imported > 0 || batch.length > 0) throw lineError(line, "The `tenant` line comes first.");
        isExport = true;
        continue;
      }
      if ("end" in parsed) {
        declaredEnd = { line, records: parsed.end };
        continue;
      }
      const id = `${parsed.map}\u001f${parsed.key}`;
      if (seen.has(id)) throw lineError(line, `Duplicate record ${parsed.map}/${parsed.key}.`);
      seen.add(id);
      batch.push(parsed);
      imported++;
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (isExport && !declaredEnd) {
      throw lineError(lastLine, "The export stops before its `end` line: it was cut off, and nothing was imported.");
    }
    if (declaredEnd && declaredEnd.records !== imported) {
      throw lineError(declaredEnd.line, `The export says ${declaredEnd.records} records; ${imported} came before it.`);
    }
    await rebuildMapHeaders(tx, scope.id);
    const storage = await tenantStorage(tx, scope.id);
    if (limits.maxMaps !== null && storage.maps > limits.maxMaps) {
      throw new ApiError("limit_exceeded", `The import has ${storage.maps} maps; the tenant may have ${limits.maxMaps}.`, { limit: limits.maxMaps });
    }
    if (limits.maxStorageBytes !== null && storage.bytes > limits.maxStorageBytes) {
      throw new ApiError("limit_exceeded", `The import holds ${storage.bytes} bytes; the tenant may store ${limits.maxStorageBytes}.`, {
        limit: limits.maxStorageBytes,
      });
    }
    return imported;
  });
}
