// The capacity and cost arithmetic: measured counts (counts.ts) × published prices and limits
// (prices.ts). Pure functions; docs/CAPACITY.md walks through each formula.
import { checkCounts, COUNT_FIELDS, MIX_KINDS, type Counts, type CountsReport, type Kind, type MixKind } from "./counts.ts";
import { neonMaxConnections, type Limits, type Prices } from "./prices.ts";

export const SECONDS_PER_MONTH = 30 * 24 * 3600;
export const HOURS_PER_MONTH = 730;

export type Mix = Partial<Record<MixKind, number>>;

export interface Workload {
  rps: number;
  tenants: number;
  mix: Mix;
  /** RUNTIME_SHARDS: the shared tier's runtime objects. */
  shards: number;
}

/** USD, by what it is billed for. */
export interface Lines {
  workerRequests: number;
  workerCpu: number;
  doRequests: number;
  doDuration: number;
  doStorage: number;
  upstash: number;
  queues: number;
  postgres: number;
}

export const LINE_LABELS: Record<keyof Lines, string> = {
  workerRequests: "Worker requests",
  workerCpu: "Worker CPU",
  doRequests: "DO requests",
  doDuration: "DO duration",
  doStorage: "DO SQLite rows",
  upstash: "Upstash commands",
  queues: "Queue operations",
  postgres: "Neon compute",
};

export const total = (lines: Lines) => Object.values(lines).reduce((sum, value) => sum + value, 0);

/** Billed runtime-object requests of one unit: calls, alarms, and incoming WebSocket messages at 20:1. */
export const billedDoRequests = (c: Counts, p: Prices) => c.doCalls + c.doAlarms + c.doWebSocketMessages / p.doWebSocketRatio;

/**
 * Worker CPU that is billed: the workerd process's CPU, which locally includes the runtime object's
 * (billed by duration instead, not CPU), so an upper bound; work with no Worker invocation (a
 * realtime message, an alarm) bills none.
 */
export const billedCpuMs = (c: Counts) => (c.workerInvocations > 0 ? c.workerCpuMs : 0);

/**
 * Marginal cost of one unit of work, no allowances: what the millionth request adds. DO duration
 * is the sum of the calls' wall time (an upper bound: concurrent calls on one object share it);
 * Neon is the unit's share of compute, at the assumed statements per CU-second.
 */
export function unitCost(c: Counts, p: Prices, l: Limits): Lines {
  return {
    workerRequests: (c.workerInvocations * p.workersRequest) / 1e6,
    workerCpu: (billedCpuMs(c) * p.workersCpu) / 1e6,
    doRequests: (billedDoRequests(c, p) * p.doRequest) / 1e6,
    doDuration: ((c.doWallMs / 1000) * p.doMemoryGb * p.doDuration) / 1e6,
    doStorage: (c.doRowsWritten * p.doRowsWritten + c.doRowsRead * p.doRowsRead) / 1e6,
    upstash: (c.upstashCommands * p.upstashCommand) / 1e6,
    queues: (c.queueMessagesSent * p.queueOperationsPerMessage * p.queueOperation) / 1e6,
    postgres: (c.pgStatements / l.neonStatementsPerCuSecond / 3600) * p.neonCuHour,
  };
}

export const scale = (lines: Lines, factor: number): Lines => Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, v * factor])) as unknown as Lines;

export function checkMix(mix: Mix): void {
  const unknown = Object.keys(mix).filter((kind) => !(MIX_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new RangeError(`unknown kind in the mix: ${unknown.join(", ")} (known: ${MIX_KINDS.join(", ")})`);
  const shares = Object.values(mix);
  if (shares.length === 0) throw new RangeError("the mix is empty");
  if (shares.some((share) => !Number.isFinite(share) || share < 0)) throw new RangeError("every share of the mix must be a number ≥ 0");
  const sum = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new RangeError(`the mix must sum to 1, not ${Number(sum.toFixed(6))}`);
}

/** The average request of a mix: each count weighted by its kind's share. */
export function mixCounts(report: CountsReport, mix: Mix): Counts {
  checkMix(mix);
  const blended = Object.fromEntries(COUNT_FIELDS.map((field) => [field, 0])) as unknown as Counts;
  for (const [kind, share] of Object.entries(mix) as Array<[MixKind, number]>) {
    for (const field of COUNT_FIELDS) blended[field] += share * report.kinds[kind].counts[field];
  }
  return blended;
}

export function costPerMillion(report: CountsReport, p: Prices, l: Limits): Record<Kind, Lines> {
  return Object.fromEntries(Object.entries(report.kinds).map(([kind, entry]) => [kind, scale(unitCost(entry.counts, p, l), 1e6)])) as Record<Kind, Lines>;
}

export interface Ceiling {
  id: "shard" | "upstash" | "pooler-server" | "pooler-clients" | "neon-compute";
  label: string;
  /** Requests per second of this mix at which the limit is reached. */
  rps: number;
  /** Share of the limit the workload uses. */
  utilization: number;
  /** Tenants of the workload's average rate that fit before the limit. */
  tenants: number;
  change: string;
}

/** Where each limit is reached for requests of this mix; sorted, the first gives way first. */
export function ceilings(report: CountsReport, w: Workload, l: Limits): Ceiling[] {
  const c = mixCounts(report, w.mix);
  const perTenantRps = w.rps / w.tenants;
  const doPerRequest = c.doCalls + c.doAlarms + c.doWebSocketMessages;
  const rtt = l.postgresRttMs / 1000;
  const holdSeconds = c.pgHeldRoundTrips * rtt + (c.pgTransactions * l.postgresTxServerMs) / 1000;
  const pool = l.neonPoolShare * neonMaxConnections(l.neonMaxCu);
  const list: Array<Omit<Ceiling, "utilization" | "tenants">> = [
    {
      id: "shard",
      label: `runtime shards (${w.shards} × ${l.doRequestsPerSecond} DO req/s ÷ ${round(doPerRequest)} per request)`,
      rps: (w.shards * l.doRequestsPerSecond) / Math.max(doPerRequest, 1e-9),
      change: "raise RUNTIME_SHARDS (no code change; moves tenants between shards); move the hottest tenants to dedicated",
    },
    {
      id: "upstash",
      label: `Upstash (${l.upstashCommandsPerSecond} commands/s ÷ ${round(c.upstashCommands)} per request)`,
      rps: l.upstashCommandsPerSecond / Math.max(c.upstashCommands, 1e-9),
      change: "an Upstash plan with a higher command rate, or several databases split by tenant (code change)",
    },
    {
      id: "pooler-server",
      label: `Neon pooler server connections (${Math.round(pool)} held ${round(holdSeconds * 1000)} ms per request)`,
      rps: pool / Math.max(holdSeconds, 1e-9),
      change: "fewer round trips inside write transactions; a bigger compute (more max_connections); read replicas for reads",
    },
    {
      id: "pooler-clients",
      label: `Neon pooler client connections (${l.neonPoolerClientConnections} open, ${round(c.pgRoundTrips * rtt * 1000)} ms each request)`,
      rps: l.neonPoolerClientConnections / Math.max(c.pgRoundTrips * rtt, 1e-9),
      change: "HTTP queries instead of WebSocket sessions; Hyperdrive-style pooling at the edge (code change)",
    },
    {
      id: "neon-compute",
      label: `Neon compute (${l.neonMaxCu} CU × ${l.neonStatementsPerCuSecond} statements/s ÷ ${round(c.pgStatements)} per request)`,
      rps: (l.neonMaxCu * l.neonStatementsPerCuSecond) / Math.max(c.pgStatements, 1e-9),
      change: "a fixed compute above 16 CU, read replicas for reads, or tenants split over several Neon projects",
    },
  ];
  return list
    .map((entry) => ({ ...entry, utilization: w.rps / entry.rps, tenants: Math.floor(entry.rps / perTenantRps) }))
    .sort((a, b) => a.rps - b.rps);
}

export interface MonthlyCost {
  lines: Lines;
  base: number;
  neonCu: number;
  total: number;
}

/** A month of the workload with the plans' allowances taken off; Neon priced as an always-on compute sized to the load. */
export function monthlyCost(report: CountsReport, w: Workload, p: Prices, l: Limits): MonthlyCost {
  const c = mixCounts(report, w.mix);
  const units = w.rps * SECONDS_PER_MONTH;
  const over = (used: number, included: number) => Math.max(0, used - included);
  // An object is billed once however many calls overlap: at most every shard, all month.
  const doSeconds = Math.min((units * c.doWallMs) / 1000, w.shards * SECONDS_PER_MONTH);
  const statementsPerSecond = w.rps * c.pgStatements;
  const neonCu = Math.max(0.25, Math.ceil((statementsPerSecond / l.neonStatementsPerCuSecond) * 4) / 4);
  const lines: Lines = {
    workerRequests: (over(units * c.workerInvocations, p.workersRequestIncluded) * p.workersRequest) / 1e6,
    workerCpu: (over(units * billedCpuMs(c), p.workersCpuIncluded) * p.workersCpu) / 1e6,
    doRequests: (over(units * billedDoRequests(c, p), p.doRequestIncluded) * p.doRequest) / 1e6,
    doDuration: (over(doSeconds * p.doMemoryGb, p.doDurationIncluded) * p.doDuration) / 1e6,
    doStorage:
      (over(units * c.doRowsWritten, p.doRowsWrittenIncluded) * p.doRowsWritten + over(units * c.doRowsRead, p.doRowsReadIncluded) * p.doRowsRead) / 1e6,
    upstash: (units * c.upstashCommands * p.upstashCommand) / 1e6,
    queues: (over(units * c.queueMessagesSent * p.queueOperationsPerMessage, p.queueOperationIncluded) * p.queueOperation) / 1e6,
    postgres: neonCu * HOURS_PER_MONTH * p.neonCuHour,
  };
  return { lines, base: p.workersBaseMonthly, neonCu, total: total(lines) + p.workersBaseMonthly };
}

export interface TenantProfile {
  label: string;
  rps: number;
  mix: Mix;
  dedicated: boolean;
  /** Open realtime connections, each sending `messagesPerMinute` frames (counted as realtime messages). */
  connections: number;
  messagesPerMinute: number;
}

/** What one tenant adds to the bill per month, marginal (no allowances, no account base). */
export function tenantMonthly(report: CountsReport, t: TenantProfile, p: Prices, l: Limits): { lines: Lines; total: number; provisioning: number } {
  const requests = scale(unitCost(mixCounts(report, t.mix), p, l), t.rps * SECONDS_PER_MONTH);
  const messages = scale(unitCost(report.kinds.realtime.counts, p, l), ((t.connections * t.messagesPerMinute) / 60) * SECONDS_PER_MONTH);
  const warm = t.dedicated ? scale(unitCost(report.kinds.warm_hour.counts, p, l), HOURS_PER_MONTH) : scale(unitCost(report.kinds.warm_hour.counts, p, l), 0);
  const lines = Object.fromEntries(
    (Object.keys(requests) as Array<keyof Lines>).map((key) => [key, requests[key] + messages[key] + warm[key]]),
  ) as unknown as Lines;
  const provisioning = total(unitCost(report.kinds[t.dedicated ? "provision_dedicated" : "provision_shared"].counts, p, l));
  return { lines, total: total(lines), provisioning };
}

/** The three example tenants of issue #22. */
export const EXAMPLE_TENANTS: TenantProfile[] = [
  { label: "free: 1 request a minute", rps: 1 / 60, mix: { read: 0.8, write: 0.2 }, dedicated: false, connections: 0, messagesPerMinute: 0 },
  { label: "pro: 20 req/s, 100 realtime connections (1 message/min each)", rps: 20, mix: { read: 0.8, write: 0.15, list: 0.05 }, dedicated: false, connections: 100, messagesPerMinute: 1 },
  { label: "enterprise: 500 req/s, dedicated", rps: 500, mix: { read: 0.8, write: 0.15, list: 0.05 }, dedicated: true, connections: 0, messagesPerMinute: 0 },
];

export { checkCounts };

function round(value: number): number {
  return Number(value.toPrecision(3));
}
