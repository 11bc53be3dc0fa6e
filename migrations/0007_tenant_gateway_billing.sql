-- v1.1 tenant fields: the gateway's origin override and the Stripe customer billing exports go to.
-- Both are null until set; the API shows { origin, timeoutMs } and { stripeCustomerId }.
ALTER TABLE "tenants" ADD COLUMN IF NOT EXISTS "gateway" jsonb;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN IF NOT EXISTS "billing" jsonb;
