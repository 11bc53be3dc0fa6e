import type { RequestUsage } from "../core/usage.ts";
import type { Credential, TenantContext } from "../core/tenant-context.ts";
import type { Services } from "../services/open-services.ts";
import type { RequestTimer } from "../lib/request-timer.ts";

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
