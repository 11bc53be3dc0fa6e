import { ApiError } from "../../http/problem.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { keyProblem } from "./names.ts";

const MAX_CODE_POINT = 0x10ffff;

/**
 * The smallest string greater than every string that starts with `prefix`, in the byte order of
 * UTF-8 (which is code point order): the prefix with its last code point incremented. Lists use
 * `key >= prefix and key < prefixEnd(prefix)`, so `%` and `_` in a prefix are plain characters.
 * Undefined when no such bound exists (a prefix of only U+10FFFF).
 */
export function prefixEnd(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!;
    if (last === MAX_CODE_POINT) continue;
    // Surrogate code points are not characters; the next character after U+D7FF is U+E000.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return String.fromCodePoint(...codePoints, next);
  }
  return undefined;
}

interface CursorBody extends Record<string, string> {
  m: string;
  k: string;
}

// A cursor comes back from the client: its key must still be one this API could have issued.
const isCursorBody = (value: Record<string, unknown>): value is CursorBody =>
  typeof value.m === "string" && typeof value.k === "string" && keyProblem(value.k) === undefined;

/** Opaque position in one map's listing: the last key returned. */
export function encodeListCursor(map: string, lastKey: string): string {
  return encodeCursor({ m: map, k: lastKey });
}

export function decodeListCursor(cursor: string | undefined, map: string): string | undefined {
  const body = decodeCursor(cursor, isCursorBody);
  if (!body) return undefined;
  if (body.m !== map) {
    throw new ApiError("invalid_request", "query.cursor: The cursor belongs to another map.", {
      errors: [{ path: "query.cursor", message: "The cursor belongs to another map." }],
    });
  }
  return body.k;
}
