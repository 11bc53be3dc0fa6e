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
  /**
   * Set by a handler whose response streams (the gateway): settles once the body has been sent,
   * with the bytes that went each way. The pipeline holds the lease until then.
   */
  streamed?: Promise<Pick<RequestUsage, "bytesIn" | "bytesOut">>;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
