import { AsyncLocalStorage } from "node:async_hooks";
import { Redis as UpstashRedis, type Requester, type UpstashRequest, type UpstashResponse } from "@upstash/redis";
import type { Redis } from "@upstash/redis/cloudflare";
import { postPipeline, postToUpstash, type RedisConfig } from "./upstash-rest.ts";

export type { RedisConfig } from "./upstash-rest.ts";

/** Upper bound of any one Redis round trip: a slow Upstash must never hang a request. */
export const REDIS_TIMEOUT_MS = 1000;

/** Where a handle's round trips are counted (a request's timer). */
export interface TripCounter {
  trip(destination: "upstash"): void;
}

/** Pipelines no longer than @upstash/redis's own auto-pipelining makes them. */
const MAX_BATCH = 1000;

/**
 * The commands one handle issues in the same tick, sent together as one pipeline: what
 * @upstash/redis's auto-pipelining does, kept per handle so that no request ever awaits
 * another's fetch (workerd forbids it). No retries: the callers decide what an outage means
 * (fail open, backstop or 503).
 */
class CommandBatch {
  private pending: { command: unknown[]; resolve(answer: UpstashResponse<unknown>): void; reject(error: unknown): void }[] = [];

  constructor(
    private readonly config: RedisConfig,
    private readonly timeoutMs: number,
    private readonly trips?: TripCounter,
  ) {}

  add(command: unknown[]): Promise<UpstashResponse<unknown>> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ command, resolve, reject }) === 1) void this.sendSoon();
    });
  }

  /** A request that is not one plain command (a whole pipeline, a command with a path or headers of its own): sent at once, alone. */
  sendNow(path: readonly string[], body: unknown): Promise<unknown> {
    this.trips?.trip("upstash");
    return postToUpstash(this.config, path, body, AbortSignal.timeout(this.timeoutMs));
  }

  private async sendSoon(): Promise<void> {
    // The window auto-pipelining uses: commands issued within two microtask turns share a trip
    // (a request's rate limits, or a record and its generation, go together).
    await Promise.resolve();
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      this.trips?.trip("upstash");
      postPipeline(
        this.config,
        batch.map((entry) => entry.command),
        AbortSignal.timeout(this.timeoutMs),
      ).then(
        (answers) => batch.forEach((entry, i) => entry.resolve(answers[i]!)),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      );
    }
  }
}

/** The batch of the handle a command was issued through. */
const currentBatch = new AsyncLocalStorage<CommandBatch>();

/**
 * The isolate's one @upstash/redis client per database. Building a client costs a few hundred
 * closures (each command is a bound arrow field) and an auto-pipelined one two `Pipeline`s more:
 * per request, that was a fifth of what a flood made the isolate collect. Handles share it.
 */
const clients = new Map<string, UpstashRedis>();

function sharedClient(config: RedisConfig): UpstashRedis {
  const id = `${config.UPSTASH_REDIS_REST_URL}\n${config.UPSTASH_REDIS_REST_TOKEN}`;
  let client = clients.get(id);
  if (!client) {
    const requester: Requester = {
      request: <T>(request: UpstashRequest) => {
        const batch = currentBatch.getStore() ?? new CommandBatch(config, REDIS_TIMEOUT_MS);
        const plain = !request.path && !request.headers && !request.isStreaming && Array.isArray(request.body);
        return (plain ? batch.add(request.body as unknown[]) : batch.sendNow(request.path ?? [], request.body)) as Promise<UpstashResponse<T>>;
      },
    };
    client = new UpstashRedis(requester);
    clients.set(id, client);
  }
  return client;
}

/**
 * A handle on Redis for one unit of work (a request, a batch of work ahead): the full client API,
 * its commands batched per tick into one round trip each, every trip counted into `trips`.
 */
export function openRedis(config: RedisConfig, timeoutMs = REDIS_TIMEOUT_MS, trips?: TripCounter): Redis {
  const client = sharedClient(config);
  const batch = new CommandBatch(config, timeoutMs, trips);
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => currentBatch.run(batch, () => Reflect.apply(value, target, args));
    },
  }) as unknown as Redis;
}
