// Latency of one request at a time, as a user far from the database sees it (run it under
// `--network edge`): full pipeline vs the bare handler, for a read and a write, plus /v1/me.
// Every answer's `X-Round-Trips` says how many round trips it made to each destination; the
// scenario reports their mean per request. Variants interleave A B … B A per round, as elsewhere.
import { figure, type Figure, type Scenario } from "../lib/scenario.ts";
import { round, summarize } from "../lib/stats.ts";
import { READ_MAP } from "../lib/targets.ts";
import { readTarget } from "../lib/targets.ts";

const ROUNDS = 5;
const WRITE_KEYS = 100;
const WARMUP = 10;

interface Variant {
  id: string;
  label: string;
  request(i: number): { path: string; init: RequestInit };
}

interface Measured {
  ms: number[];
  trips: Map<string, number>;
  failures: number;
}

/** `db=1, upstash=0, runtime=0, runtime-overlapped=1, upstash-ahead=0` */
function parseTrips(header: string | null): Array<[string, number]> {
  if (!header) return [];
  return header.split(",").map((part) => {
    const [name, count] = part.trim().split("=");
    return [name!, Number(count)];
  });
}

export const latencyScenario: Scenario = {
  id: "latency",
  title: "sequential latency and round trips per request: full pipeline vs bare handler, read and write",
  latency: true,
  async run(ctx) {
    const target = await readTarget(ctx);
    if (target.kind !== "maps") return { status: "skipped", note: "maps API not mounted", loads: [], figures: [] };
    const auth = target.headers;
    const bareHeaders = { "X-Bench-Tenant": target.tenant.id };
    const json = { "Content-Type": "application/json" };
    const body = (i: number) => JSON.stringify({ i, note: "latency benchmark" });
    const variants: Variant[] = [
      { id: "bare_read", label: `bare read (GET /bench/bare${target.path})`, request: () => ({ path: `/bench/bare${target.path}`, init: { headers: bareHeaders } }) },
      { id: "full_read", label: `full read (GET ${target.path})`, request: () => ({ path: target.path, init: { headers: auth } }) },
      {
        id: "bare_write",
        label: "bare write (PUT /bench/bare/v1/maps/bench-lat/k…)",
        request: (i) => ({ path: `/bench/bare/v1/maps/${READ_MAP}-lat/k${i % WRITE_KEYS}`, init: { method: "PUT", headers: { ...bareHeaders, ...json }, body: body(i) } }),
      },
      {
        id: "full_write",
        label: "full write (PUT /v1/maps/bench-lat/k…)",
        request: (i) => ({ path: `/v1/maps/${READ_MAP}-lat/k${i % WRITE_KEYS}`, init: { method: "PUT", headers: { ...auth, ...json }, body: body(i) } }),
      },
      { id: "me", label: "pipeline only (GET /v1/me)", request: () => ({ path: "/v1/me", init: { headers: auth } }) },
    ];
    const measured = new Map<string, Measured>(variants.map((v) => [v.id, { ms: [], trips: new Map(), failures: 0 }]));
    let sequence = 0;
    const once = async (variant: Variant, record: boolean) => {
      const { path, init } = variant.request(sequence++);
      const started = performance.now();
      const response = await fetch(`${ctx.stack.baseUrl}${path}`, init);
      await response.arrayBuffer();
      const ms = performance.now() - started;
      if (!record) return;
      const entry = measured.get(variant.id)!;
      if (response.status >= 300) {
        entry.failures++;
        return;
      }
      entry.ms.push(ms);
      for (const [name, count] of parseTrips(response.headers.get("x-round-trips"))) entry.trips.set(name, (entry.trips.get(name) ?? 0) + count);
    };
    ctx.log(`  warm-up: ${WARMUP} requests per variant (network ${ctx.stack.network})`);
    for (const variant of variants) for (let i = 0; i < WARMUP; i++) await once(variant, false);
    const perRound = Math.max(1, Math.ceil(ctx.profile.latencyRequests / ROUNDS / 2));
    for (let r = 0; r < ROUNDS; r++) {
      for (const variant of [...variants, ...[...variants].reverse()]) for (let i = 0; i < perRound; i++) await once(variant, true);
    }

    const figures: Figure[] = [];
    const details: Record<string, unknown> = { network: ctx.stack.network };
    const summaries = new Map<string, ReturnType<typeof summarize>>();
    for (const variant of variants) {
      const entry = measured.get(variant.id)!;
      const s = summarize(entry.ms);
      summaries.set(variant.id, s);
      const trips = Object.fromEntries([...entry.trips].map(([name, total]) => [name, round(total / Math.max(1, entry.ms.length))]));
      details[variant.id] = { count: s.count, failures: entry.failures, p50: round(s.p50), p99: round(s.p99), mean: round(s.mean), tripsPerRequest: trips };
      ctx.log(`  ${variant.label}: p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms; round trips per request ${JSON.stringify(trips)}; failures ${entry.failures}`);
      figures.push(figure(`${variant.id}_p50_ms`, `${variant.label} p50`, s.p50, "ms"), figure(`${variant.id}_p99_ms`, `${variant.label} p99`, s.p99, "ms"));
    }
    const p50 = (id: string) => summaries.get(id)!.p50;
    const tripsOf = (id: string, destination: string) => (measured.get(id)!.trips.get(destination) ?? 0) / Math.max(1, measured.get(id)!.ms.length);
    figures.push(
      figure("read_full_over_bare_p50", "full read p50 / bare read p50", p50("full_read") / p50("bare_read"), "ratio", { op: "<=", value: 1.05 }),
      figure("write_full_over_bare_p50", "full write p50 / bare write p50", p50("full_write") / p50("bare_write"), "ratio", { op: "<=", value: 1.1 }),
      figure("read_db_rt", "Postgres round trips per full read", tripsOf("full_read", "db"), "trips", { op: "<=", value: 1 }),
      figure("read_runtime_serial_rt", "runtime-object round trips in series per full read", tripsOf("full_read", "runtime"), "trips", { op: "<=", value: 0.1 }),
      figure("read_runtime_overlapped_rt", "runtime-object round trips overlapped per full read", tripsOf("full_read", "runtime-overlapped"), "trips"),
      figure("read_upstash_rt", "Upstash round trips per full read", tripsOf("full_read", "upstash"), "trips", { op: "<=", value: 0.1 }),
      figure("read_upstash_ahead_rt", "Upstash round trips taken ahead (refills, off the path) per full read", tripsOf("full_read", "upstash-ahead"), "trips"),
      figure("write_db_rt", "Postgres round trips per full write", tripsOf("full_write", "db"), "trips", { op: "<=", value: 1 }),
      figure("write_upstash_rt", "Upstash round trips per full write", tripsOf("full_write", "upstash"), "trips"),
      figure("write_runtime_serial_rt", "runtime-object round trips in series per full write", tripsOf("full_write", "runtime"), "trips"),
      figure("bare_read_db_rt", "Postgres round trips per bare read", tripsOf("bare_read", "db"), "trips"),
    );
    return { status: "ok", loads: [], figures, details };
  },
};
