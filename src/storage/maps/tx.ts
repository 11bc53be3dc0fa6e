import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

/**
 * Any drizzle Postgres database or transaction. The Worker passes its Neon transaction (already
 * confined to the tenant by `withTenantData`); the isolation tests pass node-postgres ones.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MapsTx = PgDatabase<PgQueryResultHKT, any, any>;
