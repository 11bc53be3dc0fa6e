export { createAdminClient, type AdminClient, type AdminClientOptions, type ApiKey, type AuditEvent, type Plan, type Tenant, type Usage, type WaitOptions } from "./admin-client.ts";
export {
  gatewayMiddleware,
  verifyGatewayRequest,
  verifySignedMessage,
  type GatewayCaller,
  type GatewayVerification,
  type MiddlewareOptions,
  type SignedMessage,
  type VerifyOptions,
} from "./gateway.ts";
export { TenantryError, type FieldError, type Problem } from "./errors.ts";
export { RealtimeClient, type ChangeEvent, type RealtimeOptions } from "./realtime.ts";
export type { RetryOptions } from "./retry.ts";
export type { components, paths } from "./schema.ts";
export { createTenantClient, type MapRecord, type PutOptions, type TenantClient, type TenantClientOptions, type WrittenRecord } from "./tenant-client.ts";
export { paginate } from "./transport.ts";
export type { WebCrypto } from "./webcrypto.ts";
export {
  verifyWebhook,
  verifyWebhookMessage,
  webhookMiddleware,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookEvent,
  type WebhookMessage,
  type WebhookVerification,
  type WebhookVerifyOptions,
} from "./webhooks.ts";
