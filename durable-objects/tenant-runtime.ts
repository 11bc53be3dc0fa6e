import { DurableObject } from "cloudflare:workers";

/** Per-tenant (or per-shard) runtime: status gate, concurrency leases, realtime hub, usage counters. */
export class TenantRuntime extends DurableObject<Env> {
  async ping(): Promise<string> {
    return "pong";
  }
}
