// A real HTTP server on 127.0.0.1 standing in for a customer's webhook endpoint. Each path answers
// by a script of behaviours ("500", "hang", "200"), the last one repeating.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour = "200" | "500" | "hang";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** ms since epoch, when the request arrived. */
  at: number;
  answered: Behaviour;
}

export interface Receiver {
  url(path: string): string;
  script(path: string, behaviours: Behaviour[]): void;
  received(path: string): Received[];
  close(): Promise<void>;
}

/** A hung request is ended after this long (well past the Worker's deadline), so nothing leaks. */
const HANG_MS = 4_000;

export async function startReceiver(): Promise<Receiver> {
  const scripts = new Map<string, Behaviour[]>();
  const log: Received[] = [];
  const hung = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const path = req.url ?? "/";
      const script = scripts.get(path) ?? ["200"];
      const behaviour = script.length > 1 ? script.shift()! : script[0]!;
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      log.push({ path, headers: req.headers, body, json, at: Date.now(), answered: behaviour });
      if (behaviour === "hang") {
        hung.add(res);
        setTimeout(() => {
          hung.delete(res);
          res.writeHead(200).end("late");
        }, HANG_MS);
        return;
      }
      res.writeHead(Number(behaviour), { "content-type": "text/plain" }).end(behaviour);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    script: (path, behaviours) => scripts.set(path, [...behaviours]),
    received: (path) => log.filter((entry) => entry.path === path),
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
