CREATE TABLE "tenant_configs" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"isolation" text NOT NULL,
	"storage_schema" text NOT NULL,
	"plan" text,
	"limits" jsonb,
	"features" text[],
	"config_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "tenants_created_idx";--> statement-breakpoint
DROP INDEX "tenants_status_idx";--> statement-breakpoint
ALTER TABLE "provisioning_runs" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_configs" ADD CONSTRAINT "tenant_configs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tenants_plan_idx" ON "tenants" USING btree ("plan","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "provisioning_runs_open_idx" ON "provisioning_runs" USING btree ("updated_at") WHERE "provisioning_runs"."state" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "tenants_status_idx" ON "tenants" USING btree ("status","id" DESC NULLS LAST);