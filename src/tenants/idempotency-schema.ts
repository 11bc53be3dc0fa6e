import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Replays of `POST /v1/tenants` with the same `Idempotency-Key` within 24 h. */
export const idempotencyKeys = pgTable("idempotency_keys", {
  key: text("key").primaryKey(),
  requestHash: text("request_hash").notNull(),
  /** The full first response (it holds the API key secret), AES-GCM encrypted. */
  responseCiphertext: text("response_ciphertext"),
  responseStatus: integer("response_status"),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
});
