import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.ts";
import { validationError } from "./errors.ts";
import { textProblem } from "../lib/storable-text.ts";
import type { FieldError } from "./problem.ts";

const TARGET_PREFIX: Record<string, string> = {
  json: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
  form: "body",
};

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

export function fieldErrors(target: string, issues: readonly Issue[]): FieldError[] {
  const prefix = TARGET_PREFIX[target] ?? target;
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}

/**
 * No path parameter or query value of any route may hold what Postgres refuses (U+0000): such an id
 * or filter names nothing, and must not reach the database as one.
 */
function unstorableParts(target: string, data: unknown): FieldError[] {
  if ((target !== "param" && target !== "query") || !data || typeof data !== "object") return [];
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(data)) {
    for (const text of Array.isArray(value) ? value : [value]) {
      const message = typeof text === "string" ? textProblem(text) : undefined;
      if (message) errors.push({ path: `${TARGET_PREFIX[target]}.${name}`, message });
    }
  }
  return errors;
}

/** zod-openapi calls this after checking a request part against its schema: answer 400 with field paths. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) {
    throw validationError(fieldErrors(result.target, result.error.issues));
  }
  const unstorable = unstorableParts(result.target, result.data);
  if (unstorable.length > 0) throw validationError(unstorable);
};
