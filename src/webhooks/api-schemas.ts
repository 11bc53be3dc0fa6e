import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "./event-types.ts";

export const EventsSchema = z
  .array(z.enum([...EVENT_TYPES, "*"]))
  .min(1)
  .max(EVENT_TYPES.length)
  .refine((events) => new Set(events).size === events.length, "Event types must not repeat.")
  .refine((events) => !events.includes("*") || events.length === 1, 'Use ["*"] alone for every event.')
  .openapi({ description: 'Event types to receive, or `["*"]` for all.', example: ["tenant.activated", "usage.hourly"] });

const UrlSchema = z
  .string()
  .min(1)
  .max(2048)
  .openapi({ description: "`https://` (in `development` also `http://127.0.0.1` or `http://localhost`).", example: "https://billing.example.com/hooks" });

const DescriptionSchema = z.string().max(500).nullable();

export const CreateWebhookBody = z
  .strictObject({ url: UrlSchema, events: EventsSchema, description: DescriptionSchema.optional() })
  .openapi("CreateWebhook");

export const UpdateWebhookBody = z
  .strictObject({ url: UrlSchema.optional(), events: EventsSchema.optional(), description: DescriptionSchema.optional(), disabled: z.boolean().optional() })
  .openapi("UpdateWebhook");

const EndpointFields = {
  id: z.string().openapi({ example: "whk_01jh5k7x9q0000000000000000" }),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  disabled: z.boolean(),
  disabledReason: z.string().nullable().openapi({ description: "Why the platform disabled it (every delivery failed for 3 days)." }),
  createdAt: z.string(),
};

export const WebhookSchema = z.object(EndpointFields).openapi("Webhook");
export const CreatedWebhookSchema = z
  .object({ ...EndpointFields, secret: z.string().openapi({ description: "`whsec_<base64>`: shown here only.", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }) })
  .openapi("CreatedWebhook");
export const WebhookListSchema = z.object({ data: z.array(WebhookSchema) }).openapi("WebhookList");
export const SecretSchema = z.object({ secret: z.string() }).openapi("WebhookSecret");
export const TestSentSchema = z.object({ id: z.string(), type: z.literal("webhook.test") }).openapi("WebhookTestSent");

export const WebhookIdParam = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "whk_01jh5k7x9q0000000000000000" }) });

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;

export const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(256).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
});

export const DeliverySchema = z
  .object({
    id: z.string(),
    messageId: z.string(),
    type: z.string(),
    attempt: z.number().int().openapi({ description: "Attempts made so far." }),
    status: z.enum(DELIVERY_STATUSES),
    responseStatus: z.number().int().nullable(),
    error: z.string().nullable(),
    at: z.string().openapi({ description: "The last attempt, or when the delivery was created." }),
  })
  .openapi("WebhookDelivery");

export const DeliveryPageSchema = z.object({ data: z.array(DeliverySchema), nextCursor: z.string().nullable() }).openapi("WebhookDeliveryPage");

export type CreateWebhookInput = z.infer<typeof CreateWebhookBody>;
export type UpdateWebhookInput = z.infer<typeof UpdateWebhookBody>;
