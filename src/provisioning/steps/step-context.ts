import type { Services } from "../../services/open-services.ts";
import type { TenantRow } from "../../core/tenant.ts";

export interface StepContext {
  env: Env;
  services: Services;
  /** The tenant as it is now (read right before the step runs). */
  tenant: TenantRow;
}

/** A provisioning step: idempotent; what it returns is kept as the step's output. */
export type Step = (context: StepContext) => Promise<Record<string, unknown>>;
