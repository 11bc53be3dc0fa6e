-- Webhook delivery attempts by result, for tenantry_webhook_deliveries_total: a monotonic counter
-- that outlives the pruning of the deliveries log.
CREATE TABLE IF NOT EXISTS "webhook_delivery_totals" (
  "result" text PRIMARY KEY NOT NULL,
  "count" bigint DEFAULT 0 NOT NULL
);
