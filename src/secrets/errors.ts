import { ApiError } from "../http/problem.ts";
import { WRAPPING_KEY_HEADER } from "./byok.ts";
import { logEvent } from "../lib/log.ts";

/**
 * Failures of the envelope. Integrity failures are the platform's fault (a tampered or misplaced
 * row, a master key missing from the deployment), never the caller's: 503 `unavailable` with a
 * `reason` member, and the details go to the log, never to the response.
 */
const INTEGRITY_RETRY_MS = 30_000;

export type IntegrityReason = "data_key_unavailable" | "secret_integrity";

export function integrityFailure(reason: IntegrityReason, log: Record<string, unknown>): ApiError {
  logEvent("error", "secrets integrity failure", { reason, ...log });
  const detail =
    reason === "secret_integrity"
      ? "The stored secret failed its integrity check and cannot be decrypted; the operator has been alerted."
      : "The tenant's data key cannot be unwrapped with the keys this deployment holds; the operator has been alerted.";
  return new ApiError("unavailable", detail, { retryAfterMs: INTEGRITY_RETRY_MS, reason });
}

const headerPath = `header.${WRAPPING_KEY_HEADER}`;

export const wrappingKeyRequired = () =>
  new ApiError("invalid_request", "This tenant's secrets are wrapped with its own key: send it in X-Tenant-Wrapping-Key.", {
    errors: [{ path: headerPath, message: "Required for this tenant" }],
  });

export const wrappingKeyUnexpected = () =>
  new ApiError("invalid_request", "This tenant has no wrapping key of its own; do not send X-Tenant-Wrapping-Key.", {
    errors: [{ path: headerPath, message: "Not accepted for this tenant" }],
  });

export const wrappingKeyMismatch = () =>
  new ApiError("forbidden", "X-Tenant-Wrapping-Key does not unwrap this tenant's data key.");

export const secretNotFound = (name: string) => new ApiError("not_found", `No secret named "${name}".`);
