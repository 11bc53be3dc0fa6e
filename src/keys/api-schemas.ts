import { z } from "@hono/zod-openapi";
import { noNul } from "../http/schemas/storable.ts";
import { SCOPES } from "../core/tenant-context.ts";

export const ScopesSchema = z
  .array(z.enum(SCOPES))
  .min(1)
  .max(SCOPES.length)
  .refine((scopes) => new Set(scopes).size === scopes.length, "Scopes must not repeat.")
  .openapi({ description: "Subset of `read`, `write`; both when omitted.", example: ["read"] });

export const CreateKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).refine(...noNul),
    scopes: ScopesSchema.optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO-8601; must be in the future." }),
  })
  .openapi("CreateApiKey");

const KeyFields = {
  id: z.string().openapi({ example: "key_01jh5k7x9q0000000000000000" }),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  start: z.string().openapi({ description: "The first characters of the secret, to recognise the key." }),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
};

export const CreatedKeySchema = z
  .object({ ...KeyFields, key: z.string().openapi({ description: "The secret: shown once, stored only as a hash." }) })
  .openapi("CreatedApiKey");

export const ApiKeySchema = z.object({ ...KeyFields, revokedAt: z.string().nullable() }).openapi("ApiKey");
export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const KeyPathParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" } }),
  keyId: z.string().openapi({ param: { name: "keyId", in: "path" } }),
});
