// The shapes the console reads, as the public contract defines them.
export type Status = "pending" | "provisioning" | "active" | "suspended" | "failed" | "deleted";
export type Limits = Record<string, number | null>;

export interface Step {
  name: string;
  status: string;
  attempts: number;
  durationMs: number | null;
  error: string | null;
}

export interface Tenant {
  id: string;
  name: string;
  plan: string;
  status: Status;
  isolation: "shared" | "dedicated";
  region: string | null;
  limits: Limits;
  overrides: Limits;
  features: string[];
  metadata: Record<string, unknown>;
  email: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  purgeAfter: string | null;
  provisioning: { state: string; attempts: number; steps: Step[]; error: string | null };
  migration: { state: string; from?: string; to?: string; steps?: Step[]; error?: string | null } | null;
  /** v1.1: where the tenant's `/gw/*` requests go (else the deployment's GATEWAY_ORIGIN). */
  gateway?: { origin: string; timeoutMs: number } | null;
  /** v1.1: the Stripe customer its hourly usage is exported to. */
  billing?: { stripeCustomerId: string } | null;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  start: string;
  expiresAt: string | null;
  createdAt: string;
  revokedAt?: string | null;
  key?: string;
}

export interface Usage {
  start: string;
  requests: number;
  rejected: number;
  readOps: number;
  writeOps: number;
  bytesIn: number;
  bytesOut: number;
  connectionSeconds: number;
  peakConnections: number;
  messages: number;
}

export interface UsageReport {
  tenantId: string;
  granularity: "minute" | "hour" | "day";
  series: Usage[];
  totals: Usage;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export interface Plan {
  id: string;
  limits: Limits;
  features: string[];
  isolation: string;
}

export const LIMIT_FIELDS = [
  "requestsPerSecond",
  "burst",
  "requestsPerDay",
  "maxConcurrentRequests",
  "maxMaps",
  "maxStorageBytes",
  "maxConnections",
  "maxValueBytes",
] as const;

/** v1.1 webhooks: endpoints are the deployment's (admin), not a tenant's. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  disabled: boolean;
  disabledReason?: string | null;
  createdAt: string;
  secret?: string;
}

export interface WebhookDelivery {
  id: string;
  messageId: string;
  type: string;
  attempt: number;
  status: "pending" | "delivered" | "failed";
  responseStatus: number | null;
  error: string | null;
  at: string;
}

/** The contract's event types, from the Worker's own list so the two cannot drift. */
export { EVENT_TYPES as WEBHOOK_EVENT_TYPES } from "../../src/webhooks/event-types.ts";

/** v1.1 Stripe meter export, one row per closed UTC hour. */
export interface ExportHour {
  hour: string;
  tenants: number;
  events: number;
  status: "pending" | "sent" | "partial" | "failed";
  failures: { tenantId: string; error: string }[];
}
