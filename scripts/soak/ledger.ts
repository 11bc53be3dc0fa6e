// The client-side ledger: what each tenant's usage must say, and what each written key must hold,
// from nothing but the answers the soak's requests got. Pure arithmetic, unit-tested in
// test/unit/soak-ledger.test.ts.
//
// Counting follows CONTRACT.md's usage semantics and where the pipeline counts (src/edge/pipeline.ts):
// a request counts in `requests` once the tenant's runtime object admitted it, whatever the handler
// answered afterwards; `readOps` / `writeOps` only when the operation ran (a GET that found nothing
// still read; a PUT refused by If-Match did not write). Refusals (401, 403, 429, tenant_not_ready)
// count nothing. Some answers cannot tell whether admission happened (no answer at all, or a 503 from
// a dependency that failed before or after it): those widen the tenant's range instead of guessing.

export type OpKind = "read" | "list" | "write" | "gateway" | "upgrade" | "malformed";

export interface Counts {
  requests: number;
  readOps: number;
  writeOps: number;
}

/** What one request's answer adds: `sure` for certain, up to `maybe` more. */
export interface Contribution {
  sure: Counts;
  maybe: Counts;
}

/** An answer as the client saw it: `status` null when none came (connection reset, timeout). */
export interface Answer {
  status: number | null;
  /** The problem document's `code`, if any. */
  code?: string;
  detail?: string;
}

export const zero = (): Counts => ({ requests: 0, readOps: 0, writeOps: 0 });

const opOf = (kind: OpKind, ran: boolean): Counts => ({
  requests: 1,
  readOps: ran && (kind === "read" || kind === "list") ? 1 : 0,
  writeOps: ran && kind === "write" ? 1 : 0,
});

/** Refusals decided before (or by) admission: never counted in requests. */
const REFUSED_CODES = new Set(["unauthenticated", "forbidden", "tenant_mismatch", "tenant_suspended", "tenant_not_ready", "rate_limited", "quota_exceeded", "concurrency_limited", "connection_limit"]);

/** The writes_paused refusal of a migration: refused by the runtime object, not counted. */
const PAUSED_DETAIL = /moving to its new isolation/;

export function contribution(kind: OpKind, answer: Answer): Contribution {
  const none = { sure: zero(), maybe: zero() };
  const { status } = answer;
  if (status === null) return { sure: zero(), maybe: opOf(kind, true) };
  if ((status >= 200 && status < 300) || status === 101) return { sure: opOf(kind, true), maybe: zero() };
  if (answer.code !== undefined && REFUSED_CODES.has(answer.code)) return none;
  if (status === 401 || status === 429) return none;
  if (status === 503) {
    if (answer.code === "unavailable" && answer.detail !== undefined && PAUSED_DETAIL.test(answer.detail)) return none;
    // A dependency failed, before admission or after it; or the runtime object answered too late.
    return { sure: zero(), maybe: opOf(kind, false) };
  }
  if (status >= 500) return { sure: zero(), maybe: opOf(kind, false) };
  // Admitted, then answered by the route: a read that found nothing still read.
  const ran = status === 404 && (kind === "read" || kind === "list");
  return { sure: opOf(kind, ran), maybe: zero() };
}

export interface TenantUsageLedger {
  sure: Counts;
  maybe: Counts;
}

export class UsageLedger {
  readonly tenants = new Map<string, TenantUsageLedger>();

  record(tenantId: string, kind: OpKind, answer: Answer): void {
    const add = contribution(kind, answer);
    const entry = this.tenants.get(tenantId) ?? { sure: zero(), maybe: zero() };
    for (const field of FIELDS) {
      entry.sure[field] += add.sure[field];
      entry.maybe[field] += add.maybe[field];
    }
    this.tenants.set(tenantId, entry);
  }
}

export const FIELDS = ["requests", "readOps", "writeOps"] as const;

export interface UsageMismatch {
  tenantId: string;
  field: (typeof FIELDS)[number];
  reported: number;
  expectedMin: number;
  expectedMax: number;
}

/** Reported usage against the ledger: exact where the ledger is sure, within the range where it is not. */
export function compareUsage(tenantId: string, ledger: TenantUsageLedger, reported: Counts): UsageMismatch[] {
  const mismatches: UsageMismatch[] = [];
  for (const field of FIELDS) {
    const min = ledger.sure[field];
    const max = min + ledger.maybe[field];
    const value = reported[field];
    if (value < min || value > max) mismatches.push({ tenantId, field, reported: value, expectedMin: min, expectedMax: max });
  }
  return mismatches;
}

/** One key's history as the client saw it. Writes to a key are made one at a time (see load.ts). */
export interface KeyLedger {
  /** The last acknowledged write. */
  acked?: { version: number; value: string };
  /** Writes after it whose outcome is unknown (no answer, or a 5xx): each may have happened. */
  unknown: string[];
}

export function ackWrite(key: KeyLedger, version: number, value: string): void {
  key.acked = { version, value };
  key.unknown = [];
}

export function unknownWrite(key: KeyLedger, value: string): void {
  key.unknown.push(value);
}

/** The key as read back at the end (null: 404). Returns what is wrong, or undefined. */
export function checkKey(key: KeyLedger, final: { version: number; value: string } | null): string | undefined {
  const { acked, unknown } = key;
  if (final === null) return acked ? `lost: acknowledged version ${acked.version} is gone (404)` : undefined;
  if (!acked) {
    if (unknown.includes(final.value) && final.version <= unknown.length) return undefined;
    return `version ${final.version} holds a value no write of the soak sent`;
  }
  if (final.version < acked.version) return `reverted: version ${final.version} < acknowledged ${acked.version}`;
  if (final.version === acked.version) return final.value === acked.value ? undefined : `version ${acked.version} holds another value than acknowledged`;
  if (final.version - acked.version > unknown.length) return `version ${final.version} is past acknowledged ${acked.version} by more than the ${unknown.length} unconfirmed writes`;
  return unknown.includes(final.value) ? undefined : `version ${final.version} holds a value no unconfirmed write sent`;
}

/** The p-quantile (0..1) of `values`, nearest rank; NaN when empty. */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}
