import { pgRole } from "drizzle-orm/pg-core";

/**
 * The role every tenant-data transaction switches to (`SET LOCAL ROLE`). It owns nothing, so
 * row-level security (enabled and forced) applies to it with no exception. The migration creates it.
 */
export const appRole = pgRole("tenantry_app").existing();
