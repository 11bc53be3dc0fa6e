import { request } from "node:http";
import { baseUrl } from "./api.ts";

export interface RawResponse {
  status: number;
  headers: import("node:http").IncomingHttpHeaders;
  text: string;
}

/**
 * A request through node:http, which (unlike fetch) lets a test send any header, hop-by-hop ones
 * included, and stream a body with a declared length.
 */
export function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: (write: (chunk: Buffer) => Promise<void>) => Promise<void>,
): Promise<RawResponse> {
  const url = new URL(`${baseUrl()}${path}`);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    if (!body) {
      req.end();
      return;
    }
    const write = (chunk: Buffer) => new Promise<void>((done) => (req.write(chunk) ? done() : req.once("drain", () => done())));
    body(write).then(() => req.end(), (error: unknown) => req.destroy(error as Error));
  });
}
