// The local stack's network model: an added one-way delay, with jitter, on each hop the Worker makes
// to a dependency. On loopback a round trip costs nothing; at the edge it costs what the model says.
//
//   TENANTRY_NETWORK=edge          the default edge model below
//   TENANTRY_NETWORK=loopback      no added delay (default)
//   TENANTRY_NETWORK=postgres:25/2,runtime:10/1,upstash:2/0.4,origin:25/2
//                                  per hop: round-trip ms / jitter ms (each one-way leg gets half the
//                                  round trip plus up to half the jitter, uniformly at random)

/** Added delay of one leg of a hop (one direction), in ms. */
export interface LinkDelay {
  oneWayMs: number;
  /** Each leg adds a uniform random 0…jitterMs on top. */
  jitterMs: number;
}

export interface NetworkModel {
  name: string;
  /** Edge ↔ Postgres (Neon): the WebSocket bridge and the HTTP SQL endpoint. */
  postgres: LinkDelay;
  /** Edge ↔ the runtime Durable Object (applied in the Worker's stub wrapper, LOCAL_RUNTIME_DELAY). */
  runtime: LinkDelay;
  /** Edge ↔ Upstash Redis: the REST bridge. */
  upstash: LinkDelay;
  /**
   * Edge ↔ a gateway origin (the tenant's own backend, /gw/*). Applied by the origins the
   * benchmarks start (bench/scenarios/gateway.ts), never by the local stack: an origin is not ours.
   */
  origin: LinkDelay;
}

const NONE: LinkDelay = { oneWayMs: 0, jitterMs: 0 };

const link = (rttMs: number, jitterMs: number): LinkDelay => ({ oneWayMs: rttMs / 2, jitterMs: jitterMs / 2 });

/**
 * Default edge model (docs/BENCHMARKS.md, "Network model"): a Worker in a PoP away from the
 * database's region reaches Neon in ~25 ms RTT, its runtime object (placed once, often nearer) in
 * ~10 ms, and Upstash (global replication, a read region near most PoPs) in ~2 ms. A gateway
 * origin (an existing backend, in one region like the database) is as far as Neon: ~25 ms.
 */
export const NETWORK_MODELS: Record<string, NetworkModel> = {
  loopback: { name: "loopback", postgres: NONE, runtime: NONE, upstash: NONE, origin: NONE },
  edge: { name: "edge", postgres: link(25, 2), runtime: link(10, 1), upstash: link(2, 0.4), origin: link(25, 2) },
};

/** `edge`, `loopback`, or `postgres:25/2,runtime:10/1,upstash:2/0.4,origin:25/2` (round trip / jitter, ms). */
export function parseNetworkModel(text: string | undefined): NetworkModel {
  if (!text) return NETWORK_MODELS.loopback!;
  const named = NETWORK_MODELS[text];
  if (named) return named;
  const model: NetworkModel = { ...NETWORK_MODELS.loopback!, name: text };
  for (const part of text.split(",")) {
    const match = /^(postgres|runtime|upstash|origin):(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?$/.exec(part.trim());
    if (!match) throw new Error(`network model "${text}": expected edge, loopback or hop:rttMs[/jitterMs],… (hops: postgres, runtime, upstash, origin)`);
    model[match[1] as "postgres" | "runtime" | "upstash" | "origin"] = link(Number(match[2]), Number(match[3] ?? 0));
  }
  return model;
}

export const isDelayed = (delay: LinkDelay | undefined): delay is LinkDelay => !!delay && (delay.oneWayMs > 0 || delay.jitterMs > 0);

export function sampleMs(delay: LinkDelay): number {
  return delay.oneWayMs + Math.random() * delay.jitterMs;
}

/**
 * One direction of a link: everything sent arrives after the link's delay, in the order sent
 * (a later message never overtakes an earlier one, as on a TCP stream), and never sooner.
 */
export function delayLine(delay: LinkDelay | undefined): (deliver: () => void) => void {
  if (!isDelayed(delay)) return (deliver) => deliver();
  // One queue and one timer per direction: separate timers due in the same millisecond may fire in
  // any order, and a Postgres stream delivered out of order is a corrupt one.
  const queue: Array<{ at: number; deliver: () => void }> = [];
  let lastAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const drain = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now) queue.shift()!.deliver();
    if (queue.length > 0) timer = setTimeout(drain, timerMs(queue[0]!.at - now));
  };
  return (deliver) => {
    const now = performance.now();
    lastAt = Math.max(now + sampleMs(delay), lastAt);
    queue.push({ at: lastAt, deliver });
    timer ??= setTimeout(drain, timerMs(lastAt - now));
  };
}

/**
 * Node measures a timer from the event loop's cached clock, which lags the real one by however long
 * the current turn has run: a plain `setTimeout(ms)` fires early by that much. Callers check the
 * real clock and wait again for what is left (at least 1 ms, Node's shortest timer), so a delay
 * errs late by under a millisecond, never early.
 */
const timerMs = (ms: number) => Math.max(1, ms);

/** Resolves `ms` after the call by the real clock (performance.now()), never sooner. */
export async function sleepMs(ms: number): Promise<void> {
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) {
    await new Promise<void>((resolve) => setTimeout(resolve, timerMs(left)));
  }
}

/** The Worker variables that carry the runtime hop's delay (read by durable-objects/tenant-runtime/stub.ts). */
export function runtimeDelayVars(model: NetworkModel): Record<string, string> {
  if (!isDelayed(model.runtime)) return {};
  return { LOCAL_RUNTIME_DELAY_MS: String(model.runtime.oneWayMs), LOCAL_RUNTIME_JITTER_MS: String(model.runtime.jitterMs) };
}
