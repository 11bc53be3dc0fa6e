// Providers' published prices and limits the capacity model uses, each with where it was read and
// when. The stored pages carry no date of their own unless said: "as stored, read 2026-12-04".
// Assumptions (no provider publishes them) are marked `assumption` and can be overridden on the
// command line. docs/CAPACITY.md explains each.

export interface Cited {
  value: number;
  unit: string;
  source: string;
  read: string;
  assumption?: true;
}

const READ = "as stored, read 2026-12-04";
const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const DO_PRICING = "https://developers.cloudflare.com/durable-objects/platform/pricing";
const DO_LIMITS = "https://developers.cloudflare.com/durable-objects/platform/limits/";
const D1_PRICING = "https://developers.cloudflare.com/d1/platform/pricing/ (transcribed at raw.githubusercontent.com/api-evangelist/cloudflare-d1/…/cloudflare-d1-plans-pricing.yml; SQLite-backed Durable Objects bill storage at D1's rates)";
const QUEUES = "https://developers.cloudflare.com/queues/pricing/";
const QUEUES_LIMITS = "https://developers.cloudflare.com/queues/platform/limits/ (transcribed at raw.githubusercontent.com/api-evangelist/cloudflare-queues/…/cloudflare-queues-rate-limits.yml)";
const UPSTASH = "https://upstash.com/docs/redis/overall/billing (stored copy: website-6koc79o81-upstash.vercel.app/docs/redis/overall/billing.md)";
const NEON_PLANS = "https://neon.com/docs/introduction/plans";
const NEON_POOLING = "https://neon.com/docs/connect/connection-pooling (updated 2026-01-24)";

const cite = (value: number, unit: string, source: string, assumption?: true): Cited => ({ value, unit, source, read: READ, ...(assumption ? { assumption } : {}) });

export const PRICES = {
  workersBaseMonthly: cite(5, "USD/month (Workers Paid, account minimum)", WORKERS),
  workersRequest: cite(0.3, "USD per million requests (10 M/month included)", WORKERS),
  workersRequestIncluded: cite(10e6, "requests/month", WORKERS),
  workersCpu: cite(0.02, "USD per million CPU ms (30 M ms/month included)", WORKERS),
  workersCpuIncluded: cite(30e6, "CPU ms/month", WORKERS),
  doRequest: cite(0.15, "USD per million requests: RPC calls, alarms, incoming WebSocket messages at 20:1 (1 M/month included)", DO_PRICING),
  doRequestIncluded: cite(1e6, "requests/month", DO_PRICING),
  doWebSocketRatio: cite(20, "incoming WebSocket messages per billed request", DO_PRICING),
  doDuration: cite(12.5, "USD per million GB-s of wall time while active (400 000 GB-s/month included)", DO_PRICING),
  doDurationIncluded: cite(400_000, "GB-s/month", DO_PRICING),
  doMemoryGb: cite(0.128, "GB billed per active object (128 MB, whatever is used)", DO_PRICING),
  doRowsWritten: cite(1.0, "USD per million SQLite rows written (50 M/month included)", D1_PRICING),
  doRowsWrittenIncluded: cite(50e6, "rows/month", D1_PRICING),
  doRowsRead: cite(0.001, "USD per million SQLite rows read (25 B/month included)", D1_PRICING),
  doRowsReadIncluded: cite(25e9, "rows/month", D1_PRICING),
  queueOperation: cite(0.4, "USD per million operations; a delivered message is 3 (write, read, delete) (1 M/month included)", QUEUES),
  queueOperationsPerMessage: cite(3, "operations per delivered message under 64 KB", QUEUES),
  queueOperationIncluded: cite(1e6, "operations/month", QUEUES),
  upstashCommand: cite(2.0, "USD per million commands (Pay as You Go: $0.20 per 100K)", UPSTASH),
  neonCuHour: cite(0.26, "USD per CU-hour (Scale plan; Launch is $0.14)", NEON_PLANS),
  neonStorageGbMonth: cite(0.35, "USD per GB-month", NEON_PLANS),
};

export const LIMITS = {
  doRequestsPerSecond: cite(1000, "requests/s per object (soft limit; past it the object answers `overloaded`)", DO_LIMITS),
  upstashCommandsPerSecond: cite(10_000, "commands/s per database (Pay as You Go; Enterprise plans raise it)", UPSTASH),
  neonPoolerClientConnections: cite(10_000, "client connections per compute through the pooler (PgBouncer, transaction mode)", NEON_POOLING),
  neonPoolShare: cite(0.9, "of max_connections per user and database: the pooler's server connections", NEON_POOLING),
  neonMaxConnections16Cu: cite(4000, "max_connections at 9 CU and above (419 at 1 CU, 1678 at 4 CU)", NEON_POOLING),
  neonMaxCu: cite(16, "CU, the largest autoscaling compute (fixed computes up to 56)", NEON_PLANS),
  queueMessagesPerSecond: cite(5000, "messages/s per queue", QUEUES_LIMITS),
  /** Not published by Neon: what one CU executes of statements like Tenantry's (short, indexed). */
  neonStatementsPerCuSecond: cite(2500, "statements/s per CU (short indexed statements; measure yours with pgbench)", "assumption: no provider figure", true),
  /** Not published: the round trip between a Worker and the Neon region it talks to. */
  postgresRttMs: cite(25, "ms Worker ↔ Neon round trip (the bench's edge network model)", "assumption: docs/BENCHMARKS.md, network model", true),
  /** Server time a transaction holds its pooled connection apart from waiting on round trips. */
  postgresTxServerMs: cite(1, "ms of server time per transaction", "assumption", true),
};

export type Prices = { [K in keyof typeof PRICES]: number };
export type Limits = { [K in keyof typeof LIMITS]: number };

export const priceValues = (): Prices => Object.fromEntries(Object.entries(PRICES).map(([k, v]) => [k, v.value])) as Prices;
export const limitValues = (): Limits => Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, v.value])) as Limits;

/** Neon's max_connections by compute size (CU), from the pooling page's table. */
export function neonMaxConnections(cu: number): number {
  const table: Array<[number, number]> = [[0.25, 104], [0.5, 209], [1, 419], [2, 839], [3, 1258], [4, 1678], [5, 2098], [6, 2517], [7, 2937], [8, 3357]];
  if (cu >= 9) return 4000;
  let best = 104;
  for (const [size, connections] of table) if (cu >= size) best = connections;
  return best;
}
