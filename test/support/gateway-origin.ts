// A real origin behind the gateway for the integration tests: a Node HTTP (and WebSocket) server on
// 127.0.0.1 that records what it received and answers per path. Streaming paths coordinate with
// the test through `signals`, so a test can prove a body flowed before it was complete.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  rawHeaders: string[];
  body: Buffer;
}

export interface TestOrigin {
  url: string;
  port: number;
  /** Every request seen, newest last (bodies of /upload are not kept). */
  received: ReceivedRequest[];
  /** Resolvers a test and the origin use to wait for each other (bounded by the waiter). */
  signals: Map<string, Signal>;
  signal(name: string): Signal;
  close(): Promise<void>;
}

export interface Signal {
  promise: Promise<void>;
  fire(): void;
  fired: boolean;
}

function newSignal(): Signal {
  let fire!: () => void;
  const signal: Signal = { promise: new Promise<void>((resolve) => (fire = resolve)), fire: () => {}, fired: false };
  signal.fire = () => {
    signal.fired = true;
    fire();
  };
  return signal;
}

/** Waits for `signal` at most `ms`; says whether it fired. */
export async function waitFor(signal: Signal, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const fired = await Promise.race([signal.promise.then(() => true as const), timedOut]);
  clearTimeout(timer);
  return fired;
}

const MiB = 1024 * 1024;

export async function startTestOrigin(): Promise<TestOrigin> {
  const received: ReceivedRequest[] = [];
  const signals = new Map<string, Signal>();
  const signal = (name: string) => {
    let existing = signals.get(name);
    if (!existing) signals.set(name, (existing = newSignal()));
    return existing;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://origin");
    const record = (body: Buffer) => received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, body });

    if (url.pathname === "/upload") {
      // Counts the body as it arrives; the test holds its last chunk back until the first arrived.
      let bytes = 0;
      const tag = url.searchParams.get("tag") ?? "upload";
      req.on("data", (chunk: Buffer) => {
        if (bytes === 0) signal(`${tag}:first-byte`).fire();
        bytes += chunk.length;
      });
      req.on("end", () => {
        record(Buffer.alloc(0));
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ bytes }));
      });
      return;
    }

    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      record(body);
      void answer(url, body, res).catch(() => res.destroy());
    });

    async function answer(url: URL, body: Buffer, res: import("node:http").ServerResponse): Promise<void> {
      switch (url.pathname) {
        case "/download": {
          // 50 MiB by default, the last MiB only once the test saw the first byte (or 5 s passed).
          const size = Number(url.searchParams.get("bytes") ?? 50 * MiB);
          const tag = url.searchParams.get("tag") ?? "download";
          res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(size) });
          const chunk = Buffer.alloc(MiB, 0x61);
          let sent = 0;
          while (sent < size) {
            const n = Math.min(MiB, size - sent);
            if (sent + n >= size) {
              signal(`${tag}:last-chunk-ready`).fire();
              await waitFor(signal(`${tag}:client-first-byte`), 5000);
              signal(`${tag}:last-chunk-sent`).fire();
            }
            if (!res.write(n === MiB ? chunk : chunk.subarray(0, n))) await new Promise((resolve) => res.once("drain", resolve));
            sent += n;
          }
          res.end();
          return;
        }
        case "/sse": {
          // Event 1, then event 2 only once the test received event 1 (or 5 s passed).
          const tag = url.searchParams.get("tag") ?? "sse";
          res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
          res.write("data: one\n\n");
          await waitFor(signal(`${tag}:client-got-one`), 5000);
          res.write("data: two\n\n");
          res.end();
          return;
        }
        case "/slow": {
          await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get("ms") ?? 3000)));
          res.writeHead(200, { "Content-Type": "text/plain" }).end("late");
          return;
        }
        case "/hold": {
          // Headers now, the end of the body only once the test says so.
          const tag = url.searchParams.get("tag") ?? "hold";
          // Not text/plain: Cloudflare (and Miniflare) would gzip that, which holds small chunks back.
          res.writeHead(200, { "Content-Type": "application/octet-stream" });
          res.write("started\n");
          await waitFor(signal(`${tag}:release`), 10_000);
          res.end("done\n");
          return;
        }
        case "/fail":
          res.writeHead(500, { "Content-Type": "text/plain", "X-Origin-Error": "kaput" }).end("origin says no");
          return;
        case "/timed":
          // An origin that reports its own timings: they must reach the client beside the gateway's.
          res.writeHead(200, { "Content-Type": "text/plain", "Server-Timing": "app;dur=12.5, cache;desc=miss" }).end("timed");
          return;
        default:
          res.writeHead(200, { "Content-Type": "application/json", "X-Origin": "test", "Set-Cookie": ["a=1; Path=/", "b=2; Path=/"] });
          res.end(
            JSON.stringify({
              method: req.method,
              url: req.url,
              headers: req.headers,
              body: body.toString("utf8"),
            }),
          );
      }
    }
  });

  const websockets = new WebSocketServer({ server });
  websockets.on("connection", (socket, req) => {
    received.push({ method: "GET", url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0) });
    socket.on("message", (data, binary) => socket.send(binary ? data : `echo:${data.toString()}`, { binary }));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    signals,
    signal,
    async close() {
      for (const client of websockets.clients) client.terminate();
      websockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
