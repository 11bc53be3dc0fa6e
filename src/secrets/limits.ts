/** Secret limits, the same on every plan that has the `secrets` feature (see docs/SECRETS.md). */
export const SECRET_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** UTF-8 bytes of a value; over it → 413 payload_too_large. */
export const MAX_SECRET_VALUE_BYTES = 65_536;
/** Secrets per tenant; a new name over it → 403 limit_exceeded. */
export const MAX_SECRETS_PER_TENANT = 1000;
