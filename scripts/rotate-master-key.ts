// Finishes a master-key rotation: calls POST /v1/admin/rotate-master-key until no tenant data key
// is wrapped by an old master key any more. Run it after deploying MASTER_KEY=<new> together with
// MASTER_KEY_PREVIOUS=<old>; remove MASTER_KEY_PREVIOUS only after it exits 0 (docs/SECRETS.md).
//
//   TENANTRY_URL=https://api.tenantry.dev ADMIN_TOKEN=… npx tsx scripts/rotate-master-key.ts [--batch-size 100]
import { parseArgs } from "node:util";
import type { RotationReport } from "../src/secrets/rotation.ts";

const { values } = parseArgs({ options: { "batch-size": { type: "string", default: "100" } } });
const batchSize = Number(values["batch-size"]);
const baseUrl = (process.env.TENANTRY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`).replace(/\/+$/, "");
const token = process.env.ADMIN_TOKEN;
if (!token || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
  console.error("Set ADMIN_TOKEN (and TENANTRY_URL); --batch-size must be 1 to 1000.");
  process.exit(2);
}

async function batch(): Promise<RotationReport> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${baseUrl}/v1/admin/rotate-master-key`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ batchSize }),
    });
    if (response.ok) return (await response.json()) as RotationReport;
    const text = await response.text();
    if ((response.status === 429 || response.status === 503) && attempt < 10) {
      const waitMs = Math.max(1, Number(response.headers.get("Retry-After") ?? 1)) * 1000;
      console.error(`HTTP ${response.status}, retrying in ${waitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      continue;
    }
    throw new Error(`HTTP ${response.status}: ${text}`);
  }
}

let total = 0;
for (;;) {
  const report = await batch();
  total += report.rewrapped;
  console.log(`re-wrapped ${report.rewrapped} (total ${total}) under ${report.currentKeyId}; ${report.remaining} remaining`);
  if (report.remaining === 0) {
    console.log("Done: every data key is wrapped by the current master key. MASTER_KEY_PREVIOUS may be removed.");
    process.exit(0);
  }
  if (report.rewrapped === 0) {
    console.error(`Stuck with ${report.remaining} data keys on another master key.`);
    if (!report.previousKeyId) console.error("MASTER_KEY_PREVIOUS is not set in this deployment.");
    if (report.unknownKeyIds.length > 0) console.error(`Master keys this deployment does not hold: ${report.unknownKeyIds.join(", ")}`);
    if (report.failedTenantIds.length > 0) console.error(`Data keys that do not unwrap (tampered?): ${report.failedTenantIds.join(", ")}`);
    console.error("Keep MASTER_KEY_PREVIOUS until this is resolved.");
    process.exit(1);
  }
}
