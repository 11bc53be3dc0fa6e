import type { Context } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import type { RequestUsage } from "../core/usage.ts";

/** Handlers say what a request did; the pipeline reports it to the runtime object afterwards. */
export function countOps(c: Context<AppEnv>, ops: { reads?: number; writes?: number }): void {
  const usage = c.get("usage");
  usage.readOps += ops.reads ?? 0;
  usage.writeOps += ops.writes ?? 0;
}

export function emptyUsage(bytesIn: number): RequestUsage {
  return { readOps: 0, writeOps: 0, bytesIn, bytesOut: 0 };
}

/** Size of a buffered response body; streamed bodies report their declared length, if any. */
export async function responseBytes(response: Response): Promise<number> {
  const declared = Number(response.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > 0) return declared;
  if (!response.body) return 0;
  const type = response.headers.get("Content-Type") ?? "";
  if (!/json/.test(type) || /ndjson/.test(type)) return 0;
  return (await response.clone().arrayBuffer()).byteLength;
}
