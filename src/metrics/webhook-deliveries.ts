/** Results the webhook delivery counter is labelled with (a bounded set). */
export const DELIVERY_RESULTS = ["delivered", "retried", "failed"] as const;
export type DeliveryResult = (typeof DELIVERY_RESULTS)[number];

/**
 * Webhook delivery attempts by result. The webhooks domain keeps its deliveries log in its own
 * tables; until it is wired in here the family is exposed with zeros, so dashboards and alerts can
 * be written against a stable set of series.
 */
export async function webhookDeliveryCounts(): Promise<Record<DeliveryResult, number>> {
  return { delivered: 0, retried: 0, failed: 0 };
}
