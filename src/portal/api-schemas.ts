import { z } from "@hono/zod-openapi";
import { LimitsSchema } from "../core/tenant.ts";
import { PORTAL_INTENTS } from "./links.ts";

export const CreatePortalLinkBody = z
  .strictObject({
    intent: z.enum(PORTAL_INTENTS).openapi({ description: "The console page the link opens." }),
    ttlSeconds: z.number().int().min(60).max(900).default(300).openapi({ description: "How long the link can be opened (60–900 s)." }),
  })
  .openapi("CreatePortalLink");

export const PortalLinkSchema = z
  .object({
    url: z.string().openapi({ description: "Opens once; gives a session of at most 1 h on this tenant's portal." }),
    expiresAt: z.string(),
  })
  .openapi("PortalLink");

export const PortalSessionSchema = z
  .object({
    tenant: z.object({
      id: z.string(),
      name: z.string(),
      plan: z.string(),
      status: z.string(),
      isolation: z.enum(["shared", "dedicated"]),
      createdAt: z.string(),
    }),
    limits: LimitsSchema,
    features: z.array(z.string()),
    intent: z.enum(PORTAL_INTENTS),
    expiresAt: z.string().openapi({ description: "When the session ends." }),
  })
  .openapi("PortalSession");

export const PortalTokenParam = z.object({
  token: z.string().openapi({ param: { name: "token", in: "path" }, description: "The link's single-use token." }),
});

export const PortalKeyParam = z.object({
  keyId: z.string().openapi({ param: { name: "keyId", in: "path" } }),
});
