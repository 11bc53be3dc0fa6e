// One origin on 127.0.0.1 for the browser conformance run: it serves browser.html and the ES modules
// the page imports (the built SDK, its dependency, the checks), and passes /v1/* — WebSocket upgrades
// included — through to the local stack. The Worker sends no CORS headers (a preflight gets 401) and
// the contract promises none, so a browser app reaches the API from its own origin, as here.
import { readFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import path from "node:path";
import { PROJECT_ROOT } from "./runtimes.ts";

/** Folders the page may load files from, relative to the repository. */
const STATIC_ROOTS = ["sdk/dist/", "node_modules/openapi-fetch/dist/", "test/support/sdk-conformance/"];
const TYPES: Record<string, string> = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html; charset=utf-8", ".map": "application/json" };

export interface BrowserHost {
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

function isApiPath(url: string): boolean {
  return url.startsWith("/v1/") || url === "/openapi.json";
}

async function serveFile(url: string): Promise<{ status: number; type: string; body: Buffer | string }> {
  const relative = decodeURIComponent(new URL(url, "http://host").pathname).replace(/^\/+/, "") || "test/support/sdk-conformance/browser.html";
  const file = path.resolve(PROJECT_ROOT, relative);
  const allowed = STATIC_ROOTS.some((root) => file.startsWith(path.join(PROJECT_ROOT, root)));
  if (!allowed) return { status: 404, type: "text/plain", body: "not served" };
  try {
    return { status: 200, type: TYPES[path.extname(file)] ?? "application/octet-stream", body: await readFile(file) };
  } catch {
    return { status: 404, type: "text/plain", body: "not found" };
  }
}

/** The request head as it arrived, for the stack's side of an upgrade. */
function rawHead(req: IncomingMessage, host: string): string {
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    lines.push(`${name}: ${name.toLowerCase() === "host" ? host : req.rawHeaders[i + 1]}`);
  }
  return `${lines.join("\r\n")}\r\n\r\n`;
}

export async function startBrowserHost(stackUrl: string): Promise<BrowserHost> {
  const stack = new URL(stackUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (!isApiPath(url)) {
      serveFile(url).then(
        ({ status, type, body }) => res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" }).end(body),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
      return;
    }
    const upstream = httpRequest(
      { host: stack.hostname, port: stack.port, method: req.method, path: url, headers: { ...req.headers, host: stack.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => res.headersSent ? res.destroy(error) : res.writeHead(502).end(String(error)));
    req.pipe(upstream);
  });
  server.on("upgrade", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const upstream = connect(Number(stack.port), stack.hostname, () => {
      upstream.write(rawHead(req, stack.host));
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
