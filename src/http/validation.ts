import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env.ts";
import { validationError } from "./errors.ts";
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

/** zod-openapi calls this when a request part fails its schema: answer 400 with field paths. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) {
    throw validationError(fieldErrors(result.target, result.error.issues));
  }
};
