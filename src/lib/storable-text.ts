/**
 * What Postgres cannot keep: U+0000 in `text` or anywhere in `jsonb` (strings and member names,
 * however deep), and UTF-16 surrogates without their pair (no Unicode text at all; jsonb refuses the
 * `\ud800` escape JSON.stringify writes for them). Input holding either is the caller's error, found
 * at the edge, never a database failure.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const NUL_MESSAGE = "May not contain U+0000.";
export const SURROGATE_MESSAGE = "Must be Unicode text (no unpaired surrogates).";

/** JSON nested deeper than this is refused: walking it would exhaust a stack long before any size limit. */
export const MAX_JSON_DEPTH = 512;

/** Why `text` cannot be stored as Postgres text, or undefined. */
export function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return undefined;
}

export const isStorableText = (text: string): boolean => textProblem(text) === undefined;

export interface JsonProblem {
  /** Member names and array indexes from the root. */
  path: string[];
  message: string;
}

/**
 * The first thing in a parsed JSON value that no store could keep faithfully: a string or member
 * name holding U+0000 (unless `allowNul`, for values that never reach Postgres as text, such as an
 * encrypted secret) or an unpaired surrogate, a number beyond doubles (JSON.parse made it Infinity),
 * or nesting past MAX_JSON_DEPTH. Iterative, so hostile nesting cannot overflow the stack here.
 */
export function jsonProblem(root: unknown, options: { allowNul?: boolean } = {}): JsonProblem | undefined {
  const check = (text: string) => {
    const problem = textProblem(text);
    return problem === NUL_MESSAGE && options.allowNul ? undefined : problem;
  };
  const pending: Array<{ value: unknown; path: string[] }> = [{ value: root, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value === "string") {
      const message = check(value);
      if (message) return { path, message };
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) return { path, message: "Numbers must fit an IEEE-754 double." };
    } else if (value !== null && typeof value === "object") {
      if (path.length >= MAX_JSON_DEPTH) return { path: path.slice(0, 8), message: `JSON may nest at most ${MAX_JSON_DEPTH} levels deep.` };
      for (const [name, child] of Object.entries(value)) {
        const message = Array.isArray(value) ? undefined : check(name);
        if (message) return { path: [...path, name], message: `Member names: ${message}` };
        pending.push({ value: child, path: [...path, name] });
      }
    }
  }
  return undefined;
}
