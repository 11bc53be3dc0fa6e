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

/**
 * Size of the answer's body, for usage. A streamed body reports its declared length, if any. A JSON
 * body built in memory declares none: it is read once into a buffer and the answer is remade over
 * that buffer (workerd then sends it with its length). Measuring a clone instead tees the body,
 * which costs the data plane more than the copy.
 */
export async function measureAnswer(c: Context<AppEnv>): Promise<number> {
  const response = c.res;
  const declared = Number(response.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > 0) return declared;
  if (!response.body) return 0;
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("json") || type.includes("ndjson")) return 0;
  const buffer = await response.arrayBuffer();
  c.res = new Response(buffer, response);
  return buffer.byteLength;
}
