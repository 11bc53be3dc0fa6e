import type { TextQuery } from "../../db/text-query.ts";
import { sqlState } from "../../db/errors.ts";
import { ApiError } from "../../http/problem.ts";
import type { CapacityLimits } from "./capacity.ts";
import type { IfMatch } from "./etag.ts";

/**
 * A map write is one statement: a call of a database function (migration 0012,
 * `tenantry_maps.put` / `tenantry_maps.delete`) that locks the record, checks If-Match, writes it,
 * adjusts the map's header row and checks the capacity limits. Sent after the tenant-scoping
 * statement in one Neon HTTP batch, a write is one round trip to Postgres. The functions run with
 * the caller's rights and search_path, so the transaction's confinement (row-level security on the
 * shared tier, the tenant's own role and schema on the dedicated tier) binds them as it binds any
 * query; they also name the tenant in every WHERE clause, as the TypeScript queries do.
 */
export interface WriteTarget {
  tenantId: string;
  map: string;
  key: string;
}

export interface RecordContent {
  /** Compact JSON text of the value. */
  json: string;
  /** What the record counts against storage. */
  bytes: number;
}

export interface PutOutcome {
  version: number;
  updatedAt: Date;
  created: boolean;
}

/** Written once as text: sent as it is over HTTP (`queryTenantData`), through `textToSql` in interactive transactions. */
export function putQuery(target: WriteTarget, content: RecordContent, limits: CapacityLimits, ifMatch?: IfMatch): TextQuery {
  const { condition, versions } = conditionOf(ifMatch);
  return {
    text: "select written_version, written_at_ms, created from tenantry_maps.put($1, $2, $3, $4, $5::int, $6, $7::int[], $8::int, $9::bigint)",
    params: [target.tenantId, target.map, target.key, content.json, content.bytes, condition, versions, limits.maxMaps, limits.maxStorageBytes],
  };
}

export function deleteQuery(target: WriteTarget, ifMatch?: IfMatch): TextQuery {
  const { condition, versions } = conditionOf(ifMatch);
  return {
    text: "select tenantry_maps.delete($1, $2, $3, $4, $5::int[]) as removed_version",
    params: [target.tenantId, target.map, target.key, condition, versions],
  };
}

/** The rows of `putQuery` (drivers differ in how they hand back bigints and booleans). */
export function toPutOutcome(rows: readonly Record<string, unknown>[]): PutOutcome {
  const row = rows[0];
  if (!row) throw new Error("tenantry_maps.put returned no row");
  return { version: Number(row.written_version), updatedAt: new Date(Number(row.written_at_ms)), created: row.created === true || row.created === "t" };
}

export function toRemovedVersion(rows: readonly Record<string, unknown>[]): number {
  const row = rows[0];
  if (!row) throw new Error("tenantry_maps.delete returned no row");
  return Number(row.removed_version);
}

/** The rows of `execute` on any drizzle Postgres driver (node-postgres and Neon give `{ rows }`). */
export function rowsOf(result: unknown): readonly Record<string, unknown>[] {
  return Array.isArray(result) ? result : ((result as { rows?: Record<string, unknown>[] }).rows ?? []);
}

/** The functions' own SQLSTATEs as problem documents; anything else is rethrown as it is. */
export function writeError(error: unknown, limits: CapacityLimits): unknown {
  switch (sqlState(error)) {
    case "TN412":
      return new ApiError("version_conflict", "If-Match does not match the record's current version (or the record does not exist).");
    case "TN404":
      return new ApiError("not_found", "No such key in this map.");
    case "TNMAP":
      return new ApiError("limit_exceeded", `The tenant may have at most ${limits.maxMaps} maps.`, { limit: limits.maxMaps ?? undefined });
    case "TNBYT":
      return new ApiError("limit_exceeded", `The tenant may store at most ${limits.maxStorageBytes} bytes.`, { limit: limits.maxStorageBytes ?? undefined });
    case "TN503":
      return new ApiError("unavailable", "The key is being written concurrently; retry.", { retryAfterMs: 100 });
    default:
      return error;
  }
}

// Versions are parsed integers (etag.ts), so the array literal needs no quoting.
function conditionOf(ifMatch: IfMatch | undefined): { condition: "none" | "any" | "versions"; versions: string } {
  if (!ifMatch) return { condition: "none", versions: "{}" };
  if (ifMatch.kind === "any") return { condition: "any", versions: "{}" };
  return { condition: "versions", versions: `{${ifMatch.versions.join(",")}}` };
}
