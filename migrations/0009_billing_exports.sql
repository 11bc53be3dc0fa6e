-- Stripe meter export: one row per closed UTC hour the export ran for, and one per meter event
-- (tenant, usage field, hour), whose identifier is the one Stripe deduplicates on. An event row is
-- written before it is sent and marked sent after Stripe accepted it: a run that dies half-way
-- leaves pending rows the next run sends (a resend of an accepted one is deduplicated by Stripe).
CREATE TABLE IF NOT EXISTS "billing_export_hours" (
	"hour" timestamp with time zone PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"tenants" integer DEFAULT 0 NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	"skipped_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "billing_export_events" (
	"identifier" text PRIMARY KEY NOT NULL,
	"hour" timestamp with time zone NOT NULL REFERENCES "billing_export_hours"("hour") ON DELETE CASCADE,
	"tenant_id" text NOT NULL,
	"field" text NOT NULL,
	"event_name" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"value" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"sent_at" timestamp with time zone
);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "billing_export_events_hour_idx" ON "billing_export_events" ("hour", "status");--> statement-breakpoint
-- Metrics: every usage counter per tenant since it began, kept in the same transaction as each usage
-- batch, so /metrics sums one row per tenant instead of every minute ever counted. The outcome_*
-- columns count data-plane requests by outcome, which usage_minutes does not split (counted from
-- this migration on; earlier requests appear in `requests` and `rejected` only).
CREATE TABLE IF NOT EXISTS "usage_totals" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"rejected" bigint DEFAULT 0 NOT NULL,
	"read_ops" bigint DEFAULT 0 NOT NULL,
	"write_ops" bigint DEFAULT 0 NOT NULL,
	"bytes_in" bigint DEFAULT 0 NOT NULL,
	"bytes_out" bigint DEFAULT 0 NOT NULL,
	"connection_seconds" bigint DEFAULT 0 NOT NULL,
	"messages" bigint DEFAULT 0 NOT NULL,
	"outcome_ok" bigint DEFAULT 0 NOT NULL,
	"outcome_rate_limited" bigint DEFAULT 0 NOT NULL,
	"outcome_quota_exceeded" bigint DEFAULT 0 NOT NULL,
	"outcome_concurrency_limited" bigint DEFAULT 0 NOT NULL,
	"outcome_not_ready" bigint DEFAULT 0 NOT NULL,
	"outcome_client_error" bigint DEFAULT 0 NOT NULL,
	"outcome_server_error" bigint DEFAULT 0 NOT NULL,
	"last_batch_at" timestamp with time zone
);--> statement-breakpoint
INSERT INTO "usage_totals" ("tenant_id", "requests", "rejected", "read_ops", "write_ops", "bytes_in", "bytes_out", "connection_seconds", "messages")
SELECT "tenant_id", sum("requests"), sum("rejected"), sum("read_ops"), sum("write_ops"), sum("bytes_in"), sum("bytes_out"), sum("connection_seconds"), sum("messages")
FROM "usage_minutes" GROUP BY "tenant_id"
ON CONFLICT ("tenant_id") DO NOTHING;
