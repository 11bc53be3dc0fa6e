import { ApiError } from "../../http/problem.ts";
import { PLATFORM_MAX_VALUE_BYTES } from "../../core/plans.ts";
import { hasLoneSurrogate } from "./names.ts";

/** Deeper values are refused: serialising them would exhaust the stack long before any size limit. */
export const MAX_VALUE_DEPTH = 512;

export interface PreparedValue {
  value: unknown;
  /** Compact JSON text (`JSON.stringify`): what is stored, and what `maxValueBytes` measures. */
  json: string;
  /** UTF-8 bytes of `json`. */
  bytes: number;
}

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}

/** `path: ""` names the body as a whole (an empty or unparsable one); `body` the value it holds. */
function invalid(message: string, path = "body"): ApiError {
  return new ApiError("invalid_request", `${path || "body"}: ${message}`, { errors: [{ path, message }] });
}

function checkText(text: string, what: string): void {
  if (text.includes("\u0000")) throw invalid(`${what} may not contain U+0000.`);
  if (hasLoneSurrogate(text)) throw invalid(`${what} may not contain unpaired surrogates.`);
}

/**
 * Refuses what JSON allows but the store cannot keep faithfully: U+0000 or an unpaired surrogate
 * escape in a string (Postgres jsonb rejects both), numbers beyond IEEE-754 doubles (they would
 * silently become null), and extreme nesting.
 */
function assertStorable(root: unknown): void {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (typeof value === "string") {
      checkText(value, "Strings");
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) throw invalid("Numbers must fit an IEEE-754 double.");
    } else if (value !== null && typeof value === "object") {
      if (depth >= MAX_VALUE_DEPTH) throw invalid(`Values may nest at most ${MAX_VALUE_DEPTH} levels deep.`);
      const children = Array.isArray(value) ? value : Object.values(value);
      if (!Array.isArray(value)) {
        for (const name of Object.keys(value)) checkText(name, "Member names");
      }
      for (const child of children) pending.push({ value: child, depth: depth + 1 });
    }
  }
}

/** The request body (JSON text) as the value to store, within the tenant's `maxValueBytes`. */
export function prepareValue(body: string, maxValueBytes: number): PreparedValue {
  if (body.trim() === "") throw invalid("The body is the JSON value to store (send null to store null).", "");
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw invalid("Malformed JSON.", "");
  }
  assertStorable(value);
  const json = JSON.stringify(value);
  const bytes = utf8Length(json);
  const limit = Math.min(maxValueBytes, PLATFORM_MAX_VALUE_BYTES);
  if (bytes > limit) {
    throw new ApiError("payload_too_large", `The value is ${bytes} bytes as compact JSON; the limit is ${limit}.`, { limit });
  }
  return { value, json, bytes };
}
