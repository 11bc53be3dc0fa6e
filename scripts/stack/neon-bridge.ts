import { createServer, type IncomingMessage } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { delayLine, isDelayed, sampleMs, sleepMs, type LinkDelay } from "./network-model.js";
import { neonHttpSql } from "./neon-http-sql.js";
import { newPgWireStats, pgWireCounter, type PgWireStats } from "./pg-wire-stats.js";

/**
 * The local stand-in for Neon's proxy: Postgres over WebSockets, and Neon's HTTP SQL endpoint at
 * `POST /sql` (scripts/stack/neon-http-sql.ts). The WebSocket side is the WebSocket-to-TCP proxy
 * Neon documents for local development: `@neondatabase/serverless`
 * opens `ws://` + `neonConfig.wsProxy(host, port)`, i.e. with the config below
 * `ws://127.0.0.1:BRIDGEPORT/v1?address=HOST:PORT`, and speaks the Postgres wire protocol in binary frames.
 *
 *   neonConfig.wsProxy = (host, port) => `127.0.0.1:BRIDGEPORT/v1?address=${host}:${port}`;
 *   neonConfig.useSecureWebSocket = false;
 *   neonConfig.pipelineTLS = false;
 *   neonConfig.pipelineConnect = false;
 */
export interface NeonBridgeHandle {
  port: number;
  /** `127.0.0.1:PORT` */
  host: string;
  stop(): Promise<void>;
  /** Open WebSocket-to-TCP tunnels. */
  connections(): number;
  /** Statements, transactions and connections since start, read off the wire (benchmarks price requests with them). */
  stats: PgWireStats;
}

export interface StartNeonBridgeOptions {
  port?: number;
  /** `host:port` entries the bridge may connect to; default: any port on 127.0.0.1 / localhost. */
  allowedTargets?: string[];
  /** Added one-way delay of the edge ↔ Postgres link (network model): each leg of every round trip, the upgrade included. */
  delay?: LinkDelay;
}

interface Target {
  host: string;
  port: number;
}

interface Tunnel {
  ws: WebSocket;
  tcp: Socket;
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost"]);
const PATHS = new Set(["/v1", "/v2"]);
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

export async function startNeonBridge(opts: StartNeonBridgeOptions = {}): Promise<NeonBridgeHandle> {
  const allowed = opts.allowedTargets?.map((entry) => {
    const target = parseTarget(entry);
    if (target === undefined) throw new Error(`invalid allowedTargets entry "${entry}", expected host:port`);
    return targetKey(target);
  });
  const isAllowed = (target: Target): boolean =>
    allowed === undefined ? LOCAL_HOSTS.has(target.host) : allowed.includes(targetKey(target));

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const tunnels = new Set<Tunnel>();
  const dialing = new Set<Socket>();
  const stats = newPgWireStats();

  // Neon's HTTP SQL endpoint on the same host (neonConfig.fetchEndpoint = http://BRIDGE/sql).
  const sqlOverHttp = neonHttpSql({
    isAllowed: (host, port) => isAllowed({ host: host.toLowerCase(), port }),
    delay: opts.delay,
    stats,
    // Diagnostics of the local stack's own cost per request (one JSON line each on stderr).
    ...(process.env.TENANTRY_TRACE_SQL_HTTP === "1" ? { trace: (timing) => process.stderr.write(`sql-http ${JSON.stringify(timing)}\n`) } : {}),
  });
  const server = createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://bridge").pathname === "/sql") return sqlOverHttp.handle(req, res);
    res.writeHead(426, { "content-type": "text/plain", upgrade: "websocket" });
    res.end("WebSocket upgrade required: /v1?address=HOST:PORT\n");
  });
  server.on("clientError", (_error, socket) => socket.destroy());

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://bridge");
    if (!PATHS.has(url.pathname)) return refuse(socket, 404, "Not Found", `unknown path ${url.pathname}`);
    const target = parseTarget(url.searchParams.get("address") ?? "");
    if (target === undefined) return refuse(socket, 400, "Bad Request", "expected ?address=HOST:PORT");
    if (!isAllowed(target)) return refuse(socket, 403, "Forbidden", `target ${targetKey(target)} is not allowed`);

    // Dial first so an unreachable database fails the upgrade at once instead of after it.
    const tcp = connect({ host: target.host === "localhost" ? "127.0.0.1" : target.host, port: target.port });
    dialing.add(tcp);
    // Whatever happens to the client socket (also before or during the upgrade), never leak the TCP side.
    socket.once("close", () => tcp.destroy());
    tcp.on("error", () => tcp.destroy());
    const failDial = (error: Error): void => {
      dialing.delete(tcp);
      if (socket.destroyed) return;
      // Like Neon's proxy, report an unreachable database in the Postgres protocol, so the driver
      // rejects with a DatabaseError (code 08001) rather than a bare WebSocket ErrorEvent.
      const message = `cannot connect to ${targetKey(target)}: ${error.message}`;
      wss.handleUpgrade(req, socket, head, (ws) => answerWithPostgresError(ws, "08001", message));
    };
    tcp.once("error", failDial);
    tcp.once("connect", () => {
      dialing.delete(tcp);
      tcp.off("error", failDial);
      const upgrade = () => {
        if (socket.destroyed) {
          tcp.destroy();
          return;
        }
        tcp.setNoDelay(true);
        wss.handleUpgrade(req, socket, head, (ws) => openTunnel(ws, tcp, tunnels, pgWireCounter(stats), opts.delay));
      };
      // The upgrade is a round trip of its own: the request's leg and the answer's.
      if (isDelayed(opts.delay)) void sleepMs(sampleMs(opts.delay) + sampleMs(opts.delay)).then(upgrade);
      else upgrade();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    host: `127.0.0.1:${port}`,
    connections: () => tunnels.size,
    stats,
    stop: async () => {
      for (const tcp of dialing) tcp.destroy();
      for (const { ws, tcp } of tunnels) {
        ws.terminate();
        tcp.destroy();
      }
      tunnels.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closed;
      await sqlOverHttp.stop();
    },
  };
}

type WireCounter = ReturnType<typeof pgWireCounter>;

function openTunnel(ws: WebSocket, tcp: Socket, tunnels: Set<Tunnel>, wire: WireCounter, delay?: LinkDelay): void {
  if (isDelayed(delay)) return openDelayedTunnel(ws, tcp, tunnels, wire, delay);
  const tunnel: Tunnel = { ws, tcp };
  tunnels.add(tunnel);
  let finished = false;
  const finish = (graceful: boolean): void => {
    if (finished) return;
    finished = true;
    tunnels.delete(tunnel);
    if (graceful) {
      tcp.end(); // flush what the client already sent
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    } else {
      tcp.destroy();
      ws.terminate();
    }
  };

  ws.on("message", (data: RawData) => {
    const bytes = toBuffer(data);
    wire.fromClient(bytes);
    if (!tcp.write(bytes)) {
      ws.pause();
      tcp.once("drain", () => ws.resume());
    }
  });
  ws.on("close", () => finish(true));
  ws.on("error", () => finish(false));

  let tcpPaused = false;
  tcp.on("data", (chunk: Buffer) => {
    wire.fromServer(chunk);
    ws.send(chunk, { binary: true }, () => {
      if (tcpPaused && ws.bufferedAmount < LOW_WATER_BYTES) {
        tcpPaused = false;
        tcp.resume();
      }
    });
    if (!tcpPaused && ws.bufferedAmount > HIGH_WATER_BYTES) {
      tcpPaused = true;
      tcp.pause();
    }
  });
  tcp.on("close", () => finish(true)); // ws.close() is queued behind pending data frames
  tcp.on("error", () => finish(false));
}

/**
 * A tunnel whose every message is held back by the link's delay in each direction, order kept.
 * Benchmarks only (the network model): no back-pressure, which the short exchanges they make do not need.
 */
function openDelayedTunnel(ws: WebSocket, tcp: Socket, tunnels: Set<Tunnel>, wire: WireCounter, delay: LinkDelay): void {
  const tunnel: Tunnel = { ws, tcp };
  tunnels.add(tunnel);
  const toServer = delayLine(delay);
  const toClient = delayLine(delay);
  const finish = (): void => {
    if (!tunnels.delete(tunnel)) return;
    tcp.destroy();
    ws.terminate();
  };
  ws.on("message", (data: RawData) => {
    const bytes = toBuffer(data);
    wire.fromClient(bytes);
    toServer(() => {
      if (!tcp.destroyed) tcp.write(bytes);
    });
  });
  ws.on("close", () => toServer(() => tcp.end()));
  ws.on("error", finish);
  tcp.on("data", (chunk: Buffer) => {
    wire.fromServer(chunk);
    toClient(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(chunk, { binary: true });
    });
  });
  tcp.on("close", () =>
    toClient(() => {
      tunnels.delete(tunnel);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    }),
  );
  tcp.on("error", finish);
}

/** Waits for the client's startup packet, answers with a FATAL ErrorResponse, and closes. */
function answerWithPostgresError(ws: WebSocket, sqlState: string, message: string): void {
  const giveUp = setTimeout(() => ws.terminate(), 5_000);
  ws.on("error", () => ws.terminate());
  ws.on("close", () => clearTimeout(giveUp));
  ws.once("message", () => {
    ws.send(postgresErrorResponse(sqlState, message), { binary: true });
    ws.close(1000);
  });
}

function postgresErrorResponse(sqlState: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[`SFATAL`, `VFATAL`, `C${sqlState}`, `M${message}`].map((field) => Buffer.from(`${field}\0`, "utf8")),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write("E", 0, "latin1");
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Parses `host:port`, `[v6]:port`; returns undefined when malformed. */
function parseTarget(address: string): Target | undefined {
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  if (host === "" || !/^\d+$/.test(portText) || port < 1 || port > 65_535) return undefined;
  return { host, port };
}

function targetKey(target: Target): string {
  const host = target.host === "localhost" ? "127.0.0.1" : target.host;
  return `${host.includes(":") ? `[${host}]` : host}:${target.port}`;
}

function refuse(socket: Duplex, status: number, reason: string, message: string): void {
  if (socket.destroyed) return;
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
