// The measured counts the capacity model runs on: what one request (or message, tenant, hour) of
// each kind costs in billed operations. bench/scenarios/counts.ts measures and checks them; the
// model (model.ts) refuses to run without every one of them.

/** The kinds of work the model prices; the first six are requests a workload mix is made of. */
export const KINDS = {
  read: "cached-tenant read (GET /v1/maps/{map}/{key})",
  write: "write (PUT /v1/maps/{map}/{key})",
  list: "list (GET /v1/maps/{map})",
  refused: "refused request (429 from the rate limit)",
  realtime: "realtime message (a `set` frame on an open socket, one subscriber)",
  gateway: "gateway call (GET /gw/…, origin answers 200)",
  provision_shared: "provisioning of one shared tenant",
  provision_dedicated: "provisioning of one dedicated tenant",
  warm_hour: "an hour of a warm-pinned dedicated tenant (idle)",
} as const;

export type Kind = keyof typeof KINDS;
export const KIND_IDS = Object.keys(KINDS) as Kind[];
/** Kinds a workload's `--mix` may name: requests and messages. */
export const MIX_KINDS = ["read", "write", "list", "refused", "realtime", "gateway"] as const satisfies readonly Kind[];
export type MixKind = (typeof MIX_KINDS)[number];

/** Per unit of a kind, averaged over the samples; every field is needed by the model. */
export interface Counts {
  /** Worker invocations: fetch, queue batches and cron runs. */
  workerInvocations: number;
  /** Runtime-object RPC/fetch calls from the Worker. */
  doCalls: number;
  /** Runtime-object alarms. */
  doAlarms: number;
  /** WebSocket messages the runtime object received (billed 20 to one request). */
  doWebSocketMessages: number;
  /** Wall time the runtime object was busy: calls (as the caller saw them), alarms and messages. */
  doWallMs: number;
  doRowsRead: number;
  doRowsWritten: number;
  upstashCommands: number;
  upstashRequests: number;
  /** Postgres round trips: WebSocket messages the driver sent plus HTTP queries. */
  pgRoundTrips: number;
  pgStatements: number;
  pgTransactions: number;
  /** Round trips made inside an open transaction: each holds a pooled server connection for one round trip. */
  pgHeldRoundTrips: number;
  /** New client connections to the pooler. */
  pgConnections: number;
  queueMessagesSent: number;
  queueMessagesReceived: number;
  /** CPU of the workerd process (Worker and runtime object together), ms. */
  workerCpuMs: number;
}

export const COUNT_FIELDS: Array<keyof Counts> = [
  "workerInvocations",
  "doCalls",
  "doAlarms",
  "doWebSocketMessages",
  "doWallMs",
  "doRowsRead",
  "doRowsWritten",
  "upstashCommands",
  "upstashRequests",
  "pgRoundTrips",
  "pgStatements",
  "pgTransactions",
  "pgHeldRoundTrips",
  "pgConnections",
  "queueMessagesSent",
  "queueMessagesReceived",
  "workerCpuMs",
];

export interface KindCounts {
  kind: Kind;
  /** How many units were measured (requests, messages, tenants; seconds for warm_hour). */
  samples: number;
  counts: Counts;
  /** Anything the reader needs to trust the figure (share refused, round trips the answers reported, …). */
  notes?: Record<string, number | string>;
}

/** What the counts scenario writes under `details` in bench/results/<time>.json. */
export interface CountsReport {
  version: 1;
  measuredAt: string;
  kinds: Record<Kind, KindCounts>;
}

/**
 * Counts a kind cannot be without: were one zero, the counter that should have seen it is broken
 * (or the code path changed), and the model would price it at nothing.
 */
const MUST_BE_POSITIVE: Partial<Record<Kind, Array<keyof Counts>>> = {
  read: ["workerInvocations", "doCalls", "pgStatements", "workerCpuMs"],
  write: ["workerInvocations", "doCalls", "pgStatements", "pgTransactions"],
  list: ["workerInvocations", "doCalls", "pgStatements"],
  refused: ["workerInvocations"],
  realtime: ["doWebSocketMessages", "pgStatements"],
  gateway: ["workerInvocations", "doCalls"],
  provision_shared: ["workerInvocations", "queueMessagesSent", "queueMessagesReceived", "pgStatements"],
  provision_dedicated: ["workerInvocations", "queueMessagesSent", "queueMessagesReceived", "pgStatements", "doCalls"],
  warm_hour: ["doAlarms"],
};

export class MissingCountError extends Error {}

/** Every kind, every field, a finite number ≥ 0, and the ones a kind cannot be without > 0; throws otherwise. */
export function checkCounts(report: unknown): CountsReport {
  const problems: string[] = [];
  const kinds = (report as Partial<CountsReport> | undefined)?.kinds as Partial<Record<Kind, Partial<KindCounts>>> | undefined;
  if (!kinds || typeof kinds !== "object") throw new MissingCountError("no counts: the results hold no `kinds` (run `npm run bench -- --quick --only counts`)");
  for (const kind of KIND_IDS) {
    const entry = kinds[kind];
    if (!entry || typeof entry !== "object" || !entry.counts) {
      problems.push(`${kind}: not measured`);
      continue;
    }
    if (!(typeof entry.samples === "number" && entry.samples > 0)) problems.push(`${kind}.samples: ${String(entry.samples)}`);
    for (const field of COUNT_FIELDS) {
      const value = (entry.counts as Partial<Counts>)[field];
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) problems.push(`${kind}.${field}: missing (${String(value)})`);
      else if (value === 0 && MUST_BE_POSITIVE[kind]?.includes(field)) problems.push(`${kind}.${field}: 0, but a ${KINDS[kind]} cannot go without it`);
    }
  }
  if (problems.length > 0) throw new MissingCountError(`counts the model needs are missing or wrong:\n  ${problems.join("\n  ")}`);
  return report as CountsReport;
}
