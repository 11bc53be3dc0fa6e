import type { Database } from "../db/client.ts";
import { webhookDeliveryTotals } from "../webhooks/schema.ts";

/** Results the webhook delivery counter is labelled with (a bounded set). */
export const DELIVERY_RESULTS = ["delivered", "retried", "failed"] as const;
export type DeliveryResult = (typeof DELIVERY_RESULTS)[number];

/** Webhook delivery attempts by result, from the webhooks domain's monotonic totals. */
export async function webhookDeliveryCounts(db: Database): Promise<Record<DeliveryResult, number>> {
  const counts: Record<DeliveryResult, number> = { delivered: 0, retried: 0, failed: 0 };
  for (const row of await db.select().from(webhookDeliveryTotals)) {
    if ((DELIVERY_RESULTS as readonly string[]).includes(row.result)) counts[row.result as DeliveryResult] = row.count;
  }
  return counts;
}
