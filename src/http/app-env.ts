import type { Redis } from "@upstash/redis/cloudflare";
import type { Database } from "../db/client.ts";
import type { HttpDatabase } from "../db/http-client.ts";
import type { RequestUsage } from "../runtime/admission.ts";
import type { Credential, TenantContext } from "../tenancy/context.ts";
import type { RequestTimer } from "./timing.ts";

/** Services built once per request, lazily: nothing connects until a handler asks. */
export interface Services {
  readonly db: Database;
  /** Postgres over HTTP: one round trip per query or batch, no interactive transactions. */
  readonly dbHttp: HttpDatabase;
  readonly redis: Redis;
}

export interface AppVariables {
  requestId: string;
  /** Phases and outbound round trips of this request (Server-Timing). */
  timer: RequestTimer;
  services: Services;
  /** Set by the data-plane pipeline for tenant-credential routes only. */
  tenant: TenantContext;
  credential: Credential;
  /** Map reads only: the context the runtime object admits (undefined if refused), while the read runs. */
  admittedTenant: Promise<TenantContext | undefined>;
  /** What the request did, for metering (data plane only). */
  usage: RequestUsage;
  /** Size of the request body as received. */
  requestBytes: number;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
