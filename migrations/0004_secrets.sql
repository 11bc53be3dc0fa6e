CREATE TABLE "tenant_data_keys" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"wrapped_key" text NOT NULL,
	"wrapping_key_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "tenant_data_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "tenant_secrets" (
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"ciphertext" text NOT NULL,
	"iv" text NOT NULL,
	"key_version" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_secrets_tenant_id_name_pk" PRIMARY KEY("tenant_id","name")
);
--> statement-breakpoint
ALTER TABLE "tenant_secrets" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "tenant_data_keys" ADD CONSTRAINT "tenant_data_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_secrets" ADD CONSTRAINT "tenant_secrets_tenant_id_tenant_data_keys_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenant_data_keys"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE POLICY "tenant_data_keys_tenant_isolation" ON "tenant_data_keys" AS PERMISSIVE FOR ALL TO "tenantry_app" USING ("tenant_data_keys"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("tenant_data_keys"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));--> statement-breakpoint
CREATE POLICY "tenant_secrets_tenant_isolation" ON "tenant_secrets" AS PERMISSIVE FOR ALL TO "tenantry_app" USING ("tenant_secrets"."tenant_id" = nullif(current_setting('app.tenant_id', true), '')) WITH CHECK ("tenant_secrets"."tenant_id" = nullif(current_setting('app.tenant_id', true), ''));