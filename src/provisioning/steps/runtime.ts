import { contextFromRow } from "../../core/context-from-row.ts";
import { runtimeFor, runtimeObjectName } from "../../../durable-objects/tenant-runtime/stub.ts";
import type { Step } from "./step-context.ts";

/** The runtime object learns the tenant's limits; a dedicated tenant's own object is pinned warm near its region. */
export const runtimeStep: Step = async ({ env, tenant }) => {
  const context = contextFromRow(tenant);
  const runtime = runtimeFor(env, context);
  await runtime.configure(context);
  const dedicated = context.isolation === "dedicated";
  if (dedicated) await runtime.warmPin(tenant.id);
  return { object: runtimeObjectName(env, context), warmPinned: dedicated, region: context.region };
};
