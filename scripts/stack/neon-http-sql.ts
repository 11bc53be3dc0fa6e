import type { IncomingMessage, ServerResponse } from "node:http";
import pg from "pg";
import { isDelayed, sampleMs, sleepMs, type LinkDelay } from "./network-model.js";
import type { PgWireStats } from "./pg-wire-stats.js";

/**
 * Neon's HTTP SQL endpoint (what `neon()` of `@neondatabase/serverless` speaks), served over plain
 * PostgreSQL with `pg`, for the local stack. Wire format, as the driver sends and parses it:
 * - `POST /sql`, headers `Neon-Connection-String: postgresql://…`, `Neon-Raw-Text-Output: true`,
 *   `Neon-Array-Mode: true`; for a batch also `Neon-Batch-Isolation-Level`, `Neon-Batch-Read-Only`,
 *   `Neon-Batch-Deferrable`.
 * - body `{ query, params }` → one result; `{ queries: [{ query, params }, …] }` → `{ results: [...] }`,
 *   run in one transaction (the whole batch commits or none of it does).
 * - a result is `{ command, rowCount, fields: [{ name, dataTypeID, … }], rows: [[text | null, …]], rowAsArray: true }`:
 *   values in Postgres's text format, parsed by the driver by `dataTypeID`.
 * - a database error → 400 `{ message, code, severity, detail, … }`; anything else → 5xx text.
 */
export interface NeonHttpSql {
  handle(req: IncomingMessage, res: ServerResponse): void;
  stop(): Promise<void>;
}

export interface NeonHttpSqlOptions {
  /** May the bridge connect to this `host:port`? */
  isAllowed(host: string, port: number): boolean;
  delay?: LinkDelay;
  /** Counted here: one request, one transaction, and its statements (a batch's BEGIN and COMMIT included). */
  stats?: PgWireStats;
  /**
   * Called once per answered request with where its time went (ms): the model's added round trip,
   * the statements in PostgreSQL (through PgBouncer), writing the answer. Set by the local stack when
   * TENANTRY_TRACE_SQL_HTTP=1 (docs/BENCHMARKS.md, "Session 8").
   */
  trace?: (timing: { receivedAt: number; delayMs: number; runMs: number; sendMs: number }) => void;
}

const ISOLATION: Record<string, string> = {
  ReadUncommitted: "read uncommitted",
  ReadCommitted: "read committed",
  RepeatableRead: "repeatable read",
  Serializable: "serializable",
};

const ERROR_FIELDS = ["severity", "code", "detail", "hint", "position", "internalPosition", "internalQuery", "where", "schema", "table", "column", "dataType", "constraint", "file", "line", "routine"] as const;

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Every value as the text Postgres sent: the driver parses it by type itself. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

interface Query {
  query: string;
  params?: unknown[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function neonHttpSql(options: NeonHttpSqlOptions): NeonHttpSql {
  const pools = new Map<string, pg.Pool>();
  const poolFor = (connectionString: string): pg.Pool => {
    let pool = pools.get(connectionString);
    if (!pool) {
      // Pipelined: a batch's BEGIN, statements and COMMIT go to PostgreSQL in one write, as Neon's proxy,
      // next to its compute, pays next to nothing for them; here each statement in turn cost wake-ups of
      // PgBouncer and PostgreSQL on a shared 2-core machine (~3 ms a write under the edge model).
      pool = new pg.Pool({ connectionString, max: 20, idleTimeoutMillis: 10_000, pipeline: true } as pg.PoolConfig);
      pool.on("error", () => {});
      // A checked-out client whose server goes away (a test stops PostgreSQL) emits "error" too; an
      // unheard one would take down the process that hosts the whole local stack.
      pool.on("connect", (client) => client.on("error", () => {}));
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const run = async (req: IncomingMessage): Promise<unknown> => {
    if (req.method !== "POST") throw new HttpError(405, "POST only");
    const connectionString = req.headers["neon-connection-string"];
    if (typeof connectionString !== "string") throw new HttpError(400, "missing Neon-Connection-String");
    let url: URL;
    try {
      url = new URL(connectionString);
    } catch {
      throw new HttpError(400, "Neon-Connection-String is not a URL");
    }
    if (!options.isAllowed(url.hostname, Number(url.port || 5432))) throw new HttpError(403, `target ${url.host} is not allowed`);
    const body = JSON.parse(await readBody(req)) as Query | { queries: Query[] };
    const pool = poolFor(connectionString);
    if (options.stats) {
      options.stats.httpRequests += 1;
      options.stats.transactions += 1;
      options.stats.statements += "queries" in body ? body.queries.length + 2 : 1;
    }
    if (!("queries" in body)) return toResult(await pool.query({ text: body.query, values: body.params ?? [], rowMode: "array", types: RAW_TEXT }));
    const begin = beginStatement(req);
    const client = await pool.connect();
    let broken = false;
    try {
      // All sent at once; answers come in order, so the first rejection is the first statement that
      // failed. After it PostgreSQL refuses the rest of the transaction and turns COMMIT into a rollback.
      const sent = [
        client.query(begin),
        ...body.queries.map((query) => client.query({ text: query.query, values: query.params ?? [], rowMode: "array", types: RAW_TEXT })),
        client.query("commit"),
      ];
      for (const answer of sent) answer.catch(() => {}); // awaited below, all of them, in order
      const answers = await Promise.all(sent);
      if (answers.at(-1)?.command !== "COMMIT") throw new Error("the batch's transaction did not commit");
      return { results: answers.slice(1, -1).map((answer) => toResult(answer as pg.QueryResult<unknown[]>)) };
    } catch (error) {
      await client.query("rollback").catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  };

  return {
    handle(req, res) {
      const receivedAt = performance.timeOrigin + performance.now();
      let ranAt = receivedAt;
      let answeredAt = receivedAt;
      const answer = async () => {
        if (isDelayed(options.delay)) await sleepMs(sampleMs(options.delay) + sampleMs(options.delay));
        ranAt = performance.timeOrigin + performance.now();
        const result = await run(req);
        answeredAt = performance.timeOrigin + performance.now();
        return result;
      };
      answer().then(
        (result) => {
          send(res, 200, JSON.stringify(result));
          const sentAt = performance.timeOrigin + performance.now();
          options.trace?.({ receivedAt, delayMs: ranAt - receivedAt, runMs: answeredAt - ranAt, sendMs: sentAt - answeredAt });
        },
        (error: unknown) => {
          if (error instanceof HttpError) return send(res, error.status, error.message, "text/plain");
          if (error instanceof SyntaxError) return send(res, 400, JSON.stringify({ message: `invalid JSON body: ${error.message}` }));
          if (error instanceof pg.DatabaseError) {
            const fields = Object.fromEntries(ERROR_FIELDS.map((name) => [name, error[name]]).filter(([, value]) => value !== undefined));
            return send(res, 400, JSON.stringify({ message: error.message, ...fields }));
          }
          send(res, 503, `database unavailable: ${error instanceof Error ? error.message : String(error)}`, "text/plain");
        },
      );
    },
    async stop() {
      await Promise.all([...pools.values()].map((pool) => pool.end().catch(() => {})));
      pools.clear();
    },
  };
}

function beginStatement(req: IncomingMessage): string {
  const parts = ["begin"];
  const isolation = req.headers["neon-batch-isolation-level"];
  if (typeof isolation === "string") {
    const level = ISOLATION[isolation];
    if (!level) throw new HttpError(400, `unknown Neon-Batch-Isolation-Level ${isolation}`);
    parts.push(`isolation level ${level}`);
  }
  if (req.headers["neon-batch-read-only"] === "true") parts.push("read only");
  if (req.headers["neon-batch-deferrable"] === "true") parts.push("deferrable");
  return parts.join(" ");
}

function toResult(result: pg.QueryResult<unknown[]>) {
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields.map((field) => ({ ...field })),
    rowAsArray: true,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: string, type = "application/json"): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
