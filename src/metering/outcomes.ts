import type { RequestOutcome } from "../core/outcomes.ts";
import type { AdmitRefusal } from "../../durable-objects/tenant-runtime/admission.ts";

/** A request refused before its handler ran, by the edge or by the runtime object. */
export function outcomeOfRefusal(code: AdmitRefusal | "forbidden" | "tenant_mismatch" | "quota_exceeded"): RequestOutcome {
  switch (code) {
    case "rate_limited":
    case "quota_exceeded":
    case "concurrency_limited":
      return code;
    case "tenant_not_ready":
      return "not_ready";
    case "writes_paused":
    case "shard_busy":
    case "too_late":
      return "server_error";
    default:
      return "client_error";
  }
}
