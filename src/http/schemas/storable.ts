import type { z } from "@hono/zod-openapi";
import { jsonProblem, NUL_MESSAGE } from "../../lib/storable-text.ts";

/** For `.refine` on strings stored as Postgres text (names, labels): no U+0000. */
export const noNul = [(text: string) => !text.includes("\u0000"), { message: NUL_MESSAGE }] as const;

/** For `.superRefine` on free-form JSON stored as jsonb (metadata): U+0000 nowhere, keys included. */
export function storableJson(value: unknown, ctx: z.core.$RefinementCtx): void {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem.message, path: problem.path });
}
