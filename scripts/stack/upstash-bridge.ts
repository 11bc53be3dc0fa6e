import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import { isDelayed, sampleMs, sleepMs, type LinkDelay } from "./network-model.js";

/**
 * An HTTP server speaking the Upstash Redis REST protocol over a real Redis,
 * so `@upstash/redis` and `@upstash/ratelimit` run against it unchanged.
 *
 * Wire format, as parsed by @upstash/redis (pkg/http.ts):
 * - `POST /` with `["CMD", ...args]` -> 200 `{"result": r}`; a Redis error -> 400 `{"error": "ERR ..."}`
 *   (any non-2xx makes the client throw `UpstashError("<error>, command was: [...]")`).
 * - `POST /pipeline` and `POST /multi-exec` with `[[...], ...]` -> 200 `[{"result": r} | {"error": e}, ...]`.
 * - With `Upstash-Encoding: base64` every string (at any nesting depth) is base64 of its bytes;
 *   integers, null and arrays keep their JSON shape.
 */
export interface UpstashBridgeHandle {
  /** `http://127.0.0.1:PORT` */
  url: string;
  token: string;
  port: number;
  stop(): Promise<void>;
  /** HTTP requests received and Redis commands executed, since start. */
  stats: { requests: number; commands: number };
}

export interface StartUpstashBridgeOptions {
  redisUrl: string;
  token: string;
  port?: number;
  /** Added one-way delay of the edge ↔ Upstash link (network model): each request waits both legs. */
  delay?: LinkDelay;
}

/** What ioredis hands back in buffer mode with `stringNumbers`: bulk/status replies are Buffers, integers strings. */
type Reply = Buffer | string | number | null | Error | Reply[];
type Outcome = { result: Reply } | { error: string };

interface PreparedCommand {
  name: string;
  args: string[];
  /** Rewrites Redis's reply into what Upstash would have answered (script hashes). */
  mapReply?: (reply: Reply) => Reply;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

const REDIS_OPTIONS: RedisOptions = {
  protocol: 2, // Upstash answers with RESP2 shapes (flat arrays, scores as strings)
  stringNumbers: true, // integer replies arrive as exact decimal strings, never lossy doubles
  lazyConnect: true,
  // Fail fast while Redis is down instead of queueing; ioredis keeps reconnecting in the background.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2_000,
  retryStrategy: (attempt: number) => Math.min(50 * attempt, 500),
};

// Commands that would change the state of the shared connection for every other caller.
const UNAVAILABLE_COMMANDS = new Set([
  "AUTH", "HELLO", "SELECT", "QUIT", "RESET", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
  "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
  "MONITOR", "SYNC", "PSYNC", "REPLCONF", "SHUTDOWN", "CLIENT",
]);

// Commands that may block: they get a connection of their own so they cannot stall other requests.
const BLOCKING_COMMANDS = new Set([
  "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF",
]);

// Shebang flags stock Redis 7 understands; anything else (e.g. Upstash's allow-key-locking) is rejected by Redis.
const REDIS_SCRIPT_FLAGS = new Set(["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]);

export async function startUpstashBridge(opts: StartUpstashBridgeOptions): Promise<UpstashBridgeHandle> {
  const redis = new Redis(opts.redisUrl, { ...REDIS_OPTIONS, commandTimeout: 15_000 });
  redis.on("error", () => undefined); // surfaced per request; ioredis reconnects on its own
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`upstash bridge: cannot reach Redis at ${opts.redisUrl}: ${errorMessage(error)}`);
  }

  const dedicated = new Set<Redis>();
  const scripts = new ScriptTranslator();
  const stats = { requests: 0, commands: 0 };

  const execute = async (conn: Redis, commands: PreparedCommand[], atomic: boolean): Promise<Outcome[]> => {
    stats.commands += commands.length;
    const outcomes = atomic ? await runTransaction(conn, commands) : await runPipeline(conn, commands);
    return outcomes.map((outcome, i) => {
      const mapReply = commands[i]?.mapReply;
      return "result" in outcome && mapReply !== undefined ? { result: mapReply(outcome.result) } : outcome;
    });
  };

  const executeSomewhere = async (commands: PreparedCommand[], atomic: boolean): Promise<Outcome[]> => {
    if (atomic || !commands.some(isBlocking)) return await execute(redis, commands, atomic);
    const conn = new Redis(opts.redisUrl, REDIS_OPTIONS);
    conn.on("error", () => undefined);
    dedicated.add(conn);
    try {
      await conn.connect();
      return await execute(conn, commands, atomic);
    } finally {
      dedicated.delete(conn);
      conn.disconnect();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests += 1;
    if (!isAuthorized(req, opts.token)) throw new RequestError(401, "Unauthorized");
    const path = new URL(req.url ?? "/", "http://bridge").pathname.replace(/(.)\/+$/, "$1");
    const mode = path === "/" ? "single" : path === "/pipeline" ? "pipeline" : path === "/multi-exec" ? "multi-exec" : undefined;
    if (mode === undefined) throw new RequestError(404, `ERR unknown path ${path}`);
    if (req.method !== "POST") throw new RequestError(405, `ERR method ${req.method ?? ""} not allowed, use POST`);
    const body = parseJson(await readBody(req));
    const base64 = String(req.headers["upstash-encoding"]).toLowerCase() === "base64";

    if (mode === "single") {
      const prepared = prepare(parseCommand(body), scripts);
      if (prepared instanceof RequestError) throw prepared;
      const [outcome] = await executeSomewhere([prepared], false);
      if (outcome === undefined || "error" in outcome) throw new RequestError(400, outcome?.error ?? "ERR no reply");
      sendJson(res, 200, `{"result":${encodeReply(outcome.result, base64)}}`);
      return;
    }

    const commands = parseCommandList(body).map((command) => prepare(command, scripts));
    if (mode === "multi-exec") {
      const rejected = commands.find((c) => c instanceof RequestError);
      if (rejected instanceof RequestError) throw rejected;
    }
    const runnable = commands.filter((c): c is PreparedCommand => !(c instanceof RequestError));
    const outcomes = runnable.length > 0 ? await executeSomewhere(runnable, mode === "multi-exec") : [];
    let next = 0;
    const merged = commands.map((c): Outcome =>
      c instanceof RequestError ? { error: c.message } : (outcomes[next++] ?? { error: "ERR no reply" }),
    );
    sendJson(res, 200, `[${merged.map((o) => encodeOutcome(o, base64)).join(",")}]`);
  };

  const delay = opts.delay;
  const server = createServer((req, res) => {
    const answered = isDelayed(delay) ? sleepMs(sampleMs(delay) + sampleMs(delay)).then(() => handle(req, res)) : handle(req, res);
    answered.catch((error: unknown) => {
      const status = error instanceof RequestError ? error.status : 503;
      const message = error instanceof RequestError ? error.message : `ERR Redis unavailable: ${errorMessage(error)}`;
      if (!res.headersSent) sendJson(res, status, JSON.stringify({ error: message }));
      else res.destroy();
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token: opts.token,
    port,
    stats,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      for (const conn of dedicated) conn.disconnect();
      redis.disconnect();
    },
  };
}

async function runPipeline(conn: Redis, commands: PreparedCommand[]): Promise<Outcome[]> {
  const pipeline = conn.pipeline();
  for (const c of commands) pipeline.callBuffer(c.name, ...c.args);
  const results = (await pipeline.exec()) ?? [];
  return commands.map((_, i) => toOutcome(results[i]));
}

async function runTransaction(conn: Redis, commands: PreparedCommand[]): Promise<Outcome[]> {
  // ioredis writes MULTI, the commands and EXEC back to back on one connection, so this is atomic.
  const transaction = conn.multi();
  for (const c of commands) transaction.callBuffer(c.name, ...c.args);
  let results: [error: Error | null, result: unknown][] | null;
  try {
    results = await transaction.exec();
  } catch (error) {
    if (isRedisError(error)) throw new RequestError(400, describeExecAbort(error));
    throw error;
  }
  if (results === null) throw new RequestError(400, "ERR transaction aborted");
  return commands.map((_, i) => toOutcome(results[i]));
}

function toOutcome(entry: [error: Error | null, result: unknown] | undefined): Outcome {
  if (entry === undefined) throw new Error("Redis returned fewer replies than commands");
  const [error, result] = entry;
  if (error !== null) {
    if (!isRedisError(error)) throw error; // connection trouble fails the whole request
    return { error: error.message };
  }
  return { result: result as Reply };
}

function describeExecAbort(error: Error): string {
  const previous = (error as Error & { previousErrors?: Error[] }).previousErrors ?? [];
  return previous.length > 0 ? `${error.message} ${previous.map((e) => e.message).join("; ")}` : error.message;
}

function isRedisError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}

function isBlocking(command: PreparedCommand): boolean {
  if (BLOCKING_COMMANDS.has(command.name)) return true;
  return (command.name === "XREAD" || command.name === "XREADGROUP") && command.args.some((a) => a.toUpperCase() === "BLOCK");
}

function prepare(command: string[], scripts: ScriptTranslator): PreparedCommand | RequestError {
  const [rawName, ...args] = command;
  const name = (rawName ?? "").toUpperCase();
  // Upper case also keeps ioredis from applying its reply transformers (keyed by lower-case names).
  if (UNAVAILABLE_COMMANDS.has(name)) return new RequestError(400, `ERR Command is not available: '${rawName ?? ""}'`);
  return scripts.prepare(name, args);
}

/**
 * Upstash's scripts may carry shebang flags stock Redis rejects. We strip them, remember
 * sha1(original) -> sha1(sent), and translate EVALSHA so it stays one round trip to Redis.
 */
class ScriptTranslator {
  private readonly sentShaByOriginalSha = new Map<string, string>();

  prepare(name: string, args: string[]): PreparedCommand {
    switch (name) {
      case "EVAL":
      case "EVAL_RO":
        return { name, args: this.withScript(args, 0) };
      case "EVALSHA":
      case "EVALSHA_RO":
        return { name, args: this.withSentShas(args, 0, 1) };
      case "SCRIPT": {
        const sub = (args[0] ?? "").toUpperCase();
        if (sub === "LOAD" && args[1] !== undefined) {
          const originalSha = sha1(args[1]);
          // The client later sends EVALSHA with the hash of the script it knows: answer with that one.
          const mapReply = (reply: Reply): Reply => (Buffer.isBuffer(reply) ? Buffer.from(originalSha) : reply);
          return { name, args: this.withScript(args, 1), mapReply };
        }
        if (sub === "EXISTS") return { name, args: this.withSentShas(args, 1, args.length) };
        return { name, args };
      }
      default:
        return { name, args };
    }
  }

  private withScript(args: string[], index: number): string[] {
    const original = args[index];
    if (original === undefined) return args;
    const sent = stripUpstashScriptFlags(original);
    if (sent === original) return args;
    this.sentShaByOriginalSha.set(sha1(original), sha1(sent));
    return args.map((a, i) => (i === index ? sent : a));
  }

  private withSentShas(args: string[], from: number, to: number): string[] {
    return args.map((a, i) => (i >= from && i < to ? (this.sentShaByOriginalSha.get(a.toLowerCase()) ?? a) : a));
  }
}

/** Removes shebang flags Redis does not know; drops the shebang line (keeping line numbers) if nothing is left. */
export function stripUpstashScriptFlags(script: string): string {
  if (!script.startsWith("#!")) return script;
  const lineEnd = script.indexOf("\n");
  const firstLine = lineEnd === -1 ? script : script.slice(0, lineEnd);
  const rest = lineEnd === -1 ? "" : script.slice(lineEnd);
  const [engine = "", ...options] = firstLine.slice(2).trim().split(/\s+/);
  let stripped = false;
  const kept = options.flatMap((option) => {
    if (!option.startsWith("flags=")) return [option];
    const flags = option.slice("flags=".length).split(",").filter((f) => f !== "");
    const known = flags.filter((f) => REDIS_SCRIPT_FLAGS.has(f));
    if (known.length === flags.length) return [option];
    stripped = true;
    return known.length > 0 ? [`flags=${known.join(",")}`] : [];
  });
  if (!stripped) return script;
  // Without a shebang Redis runs the script in compatibility mode, which (unlike a bare `#!lua`)
  // still allows EVAL_RO on scripts that only read.
  return kept.length === 0 ? rest : `#!${engine} ${kept.join(" ")}${rest}`;
}

function sha1(text: string): string {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

function encodeOutcome(outcome: Outcome, base64: boolean): string {
  return "error" in outcome ? JSON.stringify({ error: outcome.error }) : `{"result":${encodeReply(outcome.result, base64)}}`;
}

/** JSON for a Redis reply, written by hand so 64-bit integers keep every digit. */
function encodeReply(reply: Reply, base64: boolean): string {
  if (reply === null || reply === undefined) return "null";
  if (Buffer.isBuffer(reply)) return JSON.stringify(base64 ? reply.toString("base64") : reply.toString("utf8"));
  if (typeof reply === "string") return /^-?\d+$/.test(reply) ? reply : JSON.stringify(reply);
  if (typeof reply === "number") return Number.isFinite(reply) ? String(reply) : "null";
  if (Array.isArray(reply)) return `[${reply.map((r) => encodeReply(r, base64)).join(",")}]`;
  // An error nested in an array (possible from Lua): Upstash shows its text like a string.
  return encodeReply(Buffer.from(reply.message, "utf8"), base64);
}

function parseCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RequestError(400, "ERR request body must be a non-empty JSON array like [\"SET\",\"key\",\"value\"]");
  }
  return value.map((arg: unknown) => {
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new RequestError(400, `ERR command arguments must be strings or numbers, got ${JSON.stringify(arg)}`);
  });
}

function parseCommandList(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RequestError(400, "ERR request body must be a non-empty JSON array of commands");
  }
  return value.map(parseCommand);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new RequestError(400, `ERR failed to parse request body as JSON: ${errorMessage(error)}`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, `ERR request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function isAuthorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const presented = header.startsWith("Bearer ")
    ? header.slice("Bearer ".length).trim()
    : (new URL(req.url ?? "/", "http://bridge").searchParams.get("_token") ?? "");
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
