import type { RequestUsage } from "../core/usage.ts";
import type { Credential, TenantContext } from "../core/tenant-context.ts";
import type { Services } from "../services/open-services.ts";

export interface AppVariables {
  requestId: string;
  services: Services;
  /** Set by the data-plane pipeline for tenant-credential routes only. */
  tenant: TenantContext;
  credential: Credential;
  /** What the request did, for metering (data plane only). */
  usage: RequestUsage;
  /** Size of the request body as received. */
  requestBytes: number;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
