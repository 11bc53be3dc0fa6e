import { and, eq, ne } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { webhookEndpoints } from "./schema.ts";
import { openSecret, sealingKeyId, sealSecret } from "./secrets.ts";

const BATCH = 500;

/**
 * Part of a master-key rotation: endpoint secrets sealed under another master key (opened with
 * MASTER_KEY_PREVIOUS) are sealed again under MASTER_KEY. Returns how many are left on another key.
 */
export async function resealWebhookSecrets(db: Database, env: Env): Promise<{ resealed: number; remaining: number }> {
  const current = await sealingKeyId(env);
  let resealed = 0;
  await db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(webhookEndpoints)
      .where(ne(webhookEndpoints.secretKeyId, current))
      .limit(BATCH)
      .for("update", { skipLocked: true });
    for (const row of rows) {
      let secretBox: string;
      let previousSecretBox: string | null;
      try {
        secretBox = await sealSecret(env, row.id, await openSecret(env, row.id, row.secretBox));
        previousSecretBox = row.previousSecretBox ? await sealSecret(env, row.id, await openSecret(env, row.id, row.previousSecretBox)) : null;
      } catch {
        continue; // sealed under a key this deployment does not hold: stays in `remaining`
      }
      await tx
        .update(webhookEndpoints)
        .set({ secretBox, previousSecretBox, secretKeyId: current })
        .where(and(eq(webhookEndpoints.id, row.id), eq(webhookEndpoints.secretKeyId, row.secretKeyId)));
      resealed++;
    }
  });
  const left = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(ne(webhookEndpoints.secretKeyId, current));
  return { resealed, remaining: left.length };
}
