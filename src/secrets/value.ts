import { validationError } from "../http/errors.ts";
import { ApiError } from "../http/problem.ts";
import { MAX_SECRET_VALUE_BYTES } from "./limits.ts";

// A lone surrogate cannot be encoded as UTF-8: it would come back as U+FFFD, not as sent.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkSecretValue(value: string): void {
  if (LONE_SURROGATE.test(value)) {
    throw validationError([{ path: "body.value", message: "Must be valid Unicode text (no lone surrogates)." }]);
  }
  const bytes = new TextEncoder().encode(value).byteLength;
  if (bytes > MAX_SECRET_VALUE_BYTES) {
    throw new ApiError("payload_too_large", `A secret value may have at most ${MAX_SECRET_VALUE_BYTES} UTF-8 bytes; this one has ${bytes}.`, {
      limit: MAX_SECRET_VALUE_BYTES,
    });
  }
}
