import { z } from "@hono/zod-openapi";
import { WRAPPING_KEY_HEADER, WrappingKeyMaterial } from "./byok.ts";
import { SECRET_NAME } from "./limits.ts";

export const SecretNameParam = z.object({
  name: z
    .string()
    .regex(SECRET_NAME, "Use 1 to 128 of A-Z a-z 0-9 _ . -")
    .openapi({ param: { name: "name", in: "path" }, example: "binance.api_key" }),
});

export const WrappingKeyHeaders = z.object({
  [WRAPPING_KEY_HEADER]: WrappingKeyMaterial.optional().openapi({
    type: "string",
    description: "Only for tenants that bring their own wrapping key (BYOK): base64 of its 32 bytes. Never stored.",
  }),
});

export const PutSecretBody = z
  .strictObject({
    value: z.string().openapi({ description: "Any string, up to 65536 UTF-8 bytes; stored encrypted, never logged." }),
  })
  .openapi("PutSecret");

export const SecretWrittenSchema = z.object({ name: z.string(), updatedAt: z.string() }).openapi("SecretWritten");

export const SecretSchema = z.object({ name: z.string(), value: z.string(), updatedAt: z.string() }).openapi("Secret");

export const SecretListSchema = z
  .object({ data: z.array(z.object({ name: z.string(), updatedAt: z.string() })) })
  .openapi("SecretList");
