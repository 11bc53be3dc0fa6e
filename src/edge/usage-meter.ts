import type { Context } from "hono";
import type { AppEnv } from "../http/app-env.ts";
import type { RequestUsage } from "../core/usage.ts";

/** Handlers say what a request did; the pipeline reports it to the runtime object afterwards. */
export function countOps(c: Context<AppEnv>, ops: { reads?: number; writes?: number }): void {
  const usage = c.get("usage");
  usage.readOps += ops.reads ?? 0;
  usage.writeOps += ops.writes ?? 0;
}

const utf8 = new TextEncoder();

/**
 * For a metered request: `c.json` encodes its answer itself and declares its length, so usage
 * takes `bytesOut` from Content-Length (`measureAnswer`) instead of reading the answer back and
 * making it again, which cost a full read more than the rest of metering together (session 12's
 * profile). The same as Hono's own `c.json`, plus the length.
 */
export function declareJsonLength(c: Context<AppEnv>): void {
  c.json = ((object: unknown, arg?: number | ResponseInit, headers?: Record<string, string>) => {
    const bytes = utf8.encode(JSON.stringify(object)) as Uint8Array<ArrayBuffer>;
    return c.body(bytes, arg as never, { "Content-Type": "application/json", ...headers, "Content-Length": String(bytes.byteLength) });
  }) as unknown as Context<AppEnv>["json"];
}

export function emptyUsage(bytesIn: number): RequestUsage {
  return { readOps: 0, writeOps: 0, bytesIn, bytesOut: 0 };
}

/**
 * Size of the answer's body, for usage: its declared length, if any (`declareJsonLength`; a
 * streamed body that declares one). A JSON body made otherwise (a problem document) is read once
 * into a buffer and the answer is remade over that buffer; measuring a clone instead tees the body,
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
