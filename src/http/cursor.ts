import { ApiError } from "./problem.ts";
import { fromBase64Url, toBase64Url } from "../lib/encoding.ts";
import { jsonProblem } from "../lib/storable-text.ts";

/** Opaque list cursors: base64url of a small JSON object the server alone interprets. */
export function encodeCursor(position: Record<string, string | number>): string {
  return toBase64Url(JSON.stringify(position));
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string | undefined,
  isValid: (value: Record<string, unknown>) => value is T,
  path = "query.cursor",
): T | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const text = fromBase64Url(cursor);
  let value: unknown;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch {
    value = null;
  }
  if (!value || typeof value !== "object" || Array.isArray(value) || !isValid(value as Record<string, unknown>) || jsonProblem(value)) {
    throw new ApiError("invalid_request", "The cursor is not one this API issued.", { errors: [{ path, message: "Invalid cursor" }] });
  }
  return value as T;
}
