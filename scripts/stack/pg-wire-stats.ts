/**
 * Counts what the Worker asks of Postgres, read off the wire the Neon bridge relays: statements
 * (a simple-protocol Query or an extended-protocol Execute each count one; BEGIN and COMMIT are
 * statements too) and transactions (each ReadyForQuery that reports "idle", after the first one of
 * a connection, ends one: a single statement outside BEGIN is a transaction of its own). Benchmarks
 * read it to price a request (bench/scenarios/counts.ts); it changes nothing on the wire.
 */
export interface PgWireStats {
  /** WebSocket tunnels opened (each is one client connection to the pooler). */
  connections: number;
  /** WebSocket messages the client sent over the tunnels (several Postgres messages may share one). */
  clientMessages: number;
  /** `POST /sql` requests (Neon's HTTP endpoint: one round trip and one transaction each). */
  httpRequests: number;
  statements: number;
  transactions: number;
  /**
   * Client messages sent while the server reported an open transaction block: each is a round trip
   * during which a pooler in transaction mode keeps a server connection for this client.
   */
  heldRoundTrips: number;
}

export function newPgWireStats(): PgWireStats {
  return { connections: 0, clientMessages: 0, httpRequests: 0, statements: 0, transactions: 0, heldRoundTrips: 0 };
}

const SSL_REQUEST = 80877103;
const GSS_ENC_REQUEST = 80877104;
const READY_FOR_QUERY = 0x5a; // "Z"
const IDLE = 0x49; // "I"

/**
 * A stream of typed Postgres messages (1 type byte, 4 length bytes): `onMessage` sees each type and
 * the first byte of its body; bodies are skipped, not buffered, so large results cost nothing.
 */
function messageStream(onMessage: (type: number, firstBodyByte: number | undefined) => void) {
  let pending = Buffer.alloc(0);
  let skip = 0;
  return (chunk: Buffer) => {
    let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    pending = Buffer.alloc(0);
    for (;;) {
      if (skip > 0) {
        const dropped = Math.min(skip, data.length);
        skip -= dropped;
        data = data.subarray(dropped);
      }
      if (data.length === 0) return;
      const length = data.length >= 5 ? data.readInt32BE(1) : -1;
      if (length < 0 || (length > 4 && data.length < 6)) {
        pending = Buffer.from(data);
        return;
      }
      onMessage(data[0]!, length > 4 ? data[5] : undefined);
      skip = Math.max(0, length - 4);
      data = data.subarray(5);
    }
  };
}

/** One connection's two byte streams, counted into `stats` as they pass. */
export function pgWireCounter(stats: PgWireStats): { fromClient(chunk: Buffer): void; fromServer(chunk: Buffer): void } {
  stats.connections += 1;
  let startup: Buffer | null = Buffer.alloc(0); // untyped packets until the startup message has passed
  let owedBytes = 0; // single-byte answers (S/N/G) the server owes to SSL or GSS requests
  let sawFirstReady = false;
  let inTransaction = false;
  const client = messageStream((type) => {
    if (type === 0x51 /* Q */ || type === 0x45 /* E */) stats.statements += 1;
  });
  const server = messageStream((type, first) => {
    if (type !== READY_FOR_QUERY) return;
    inTransaction = first !== IDLE;
    if (first !== IDLE) return;
    if (sawFirstReady) stats.transactions += 1;
    sawFirstReady = true;
  });
  return {
    fromClient(chunk) {
      stats.clientMessages += 1;
      if (inTransaction) stats.heldRoundTrips += 1;
      if (startup === null) return client(chunk);
      let data = Buffer.concat([startup, chunk]);
      while (startup !== null && data.length >= 8 && data.length >= data.readInt32BE(0)) {
        const length = data.readInt32BE(0);
        const code = data.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSS_ENC_REQUEST) owedBytes += 1;
        else startup = null;
        data = data.subarray(length);
      }
      if (startup !== null) startup = Buffer.from(data);
      else if (data.length > 0) client(data);
    },
    fromServer(chunk) {
      let data = chunk;
      while (owedBytes > 0 && data.length > 0) {
        owedBytes -= 1;
        data = data.subarray(1);
      }
      if (data.length > 0) server(data);
    },
  };
}
