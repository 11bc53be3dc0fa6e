import { sql } from "drizzle-orm";
import type { Services } from "../services/open-services.ts";

export interface CheckResult {
  status: "ok" | "down";
  latencyMs: number;
  error?: string;
}

const CHECK_TIMEOUT_MS = 2000;

async function timed(probe: () => Promise<unknown>): Promise<CheckResult> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: "ok", latencyMs: Date.now() - started };
  } catch (error) {
    return { status: "down", latencyMs: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export async function runHealthChecks(services: Services): Promise<{ postgres: CheckResult; redis: CheckResult }> {
  const [postgres, redis] = await Promise.all([
    timed(() => services.db.execute(sql`select 1`)),
    timed(() => services.redis.ping()),
  ]);
  return { postgres, redis };
}
