import { z } from "@hono/zod-openapi";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
    retryAfterMs: z.number().int().optional(),
    limit: z.union([z.number(), z.string()]).optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const problemContent = { "application/problem+json": { schema: ProblemSchema } };

/** Error responses for a route's OpenAPI entry, by status. */
export function problems(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "Invalid request (`invalid_request`)",
    401: "Missing or invalid credential (`unauthenticated`)",
    403: "Forbidden",
    404: "Not found (`not_found`)",
    409: "Conflict (`conflict`)",
    412: "Version conflict (`version_conflict`)",
    413: "Payload too large (`payload_too_large`)",
    415: "Unsupported media type (`unsupported_media_type`)",
    429: "Rate, quota, concurrency or connection limit",
    503: "Unavailable or tenant not ready",
  };
  return Object.fromEntries(
    statuses.map((status) => [status, { description: descriptions[status] ?? "Error", content: problemContent }]),
  );
}
