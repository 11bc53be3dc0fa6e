import { ApiError } from "../../http/problem.ts";

export const MAP_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_KEY_CODE_POINTS = 512;
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A UTF-16 surrogate without its pair is no Unicode text at all (and Postgres refuses it in jsonb). */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

function invalid(path: string, message: string): ApiError {
  return new ApiError("invalid_request", `${path}: ${message}`, { errors: [{ path, message }] });
}

/** Percent-decodes one path segment or query value; a malformed encoding is the caller's error, not ours. */
export function percentDecode(raw: string, path: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid(path, "Malformed percent-encoding.");
  }
}

export function checkMapName(name: string, path = "path.map"): string {
  if (!MAP_NAME.test(name)) throw invalid(path, "Map names are 1 to 64 characters of A-Z, a-z, 0-9, _ and -.");
  return name;
}

export function codePointLength(text: string, stopAfter = Infinity): number {
  let count = 0;
  for (const _ of text) {
    if (++count > stopAfter) break;
  }
  return count;
}

/** Why `key` (decoded) is not a valid key, or undefined: 1–512 Unicode code points (not UTF-16 units), no control characters. */
export function keyProblem(key: string): string | undefined {
  const length = codePointLength(key, MAX_KEY_CODE_POINTS);
  if (length === 0) return "Keys may not be empty.";
  if (length > MAX_KEY_CODE_POINTS) return `Keys are at most ${MAX_KEY_CODE_POINTS} Unicode code points.`;
  if (CONTROL_CHARACTER.test(key)) return "Keys may not contain control characters (U+0000–U+001F, U+007F).";
  if (hasLoneSurrogate(key)) return "Keys must be Unicode text (no unpaired surrogates).";
  return undefined;
}

/**
 * Why `key` may not be created, or undefined: a key's rules, and not `.` or `..`. A URL cannot carry
 * those as its last path segment (URL normalisation removes the segment, `%2E` included), so a record
 * made under one over realtime or by an import could never be read or deleted over REST.
 */
export function newKeyProblem(key: string): string | undefined {
  if (key === "." || key === "..") return "Keys `.` and `..` cannot be addressed in a URL (URL normalisation removes such a path segment).";
  return keyProblem(key);
}

export function checkKey(key: string, path = "path.key"): string {
  const problem = keyProblem(key);
  if (problem) throw invalid(path, problem);
  return key;
}

/** A list prefix follows the key rules, except that it may be empty (no prefix). */
export function checkPrefix(prefix: string, path = "query.prefix"): string {
  return prefix === "" ? prefix : checkKey(prefix, path);
}
