// The origin behind the gateway during a soak: answers every request with a small JSON echo.
// `down()` closes it (the gateway then answers 502: an origin fault), `up()` opens it again on the
// same port.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SoakOrigin {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startSoakOrigin(): Promise<SoakOrigin> {
  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ method: req.method, url: req.url })));
  };
  let server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    down: close,
    async up() {
      if (server.listening) return;
      server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
    close,
  };
}
