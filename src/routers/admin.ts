import { auditRoutes } from "../audit/routes.ts";
import { billingRoutes } from "../billing/routes.ts";
import { adminAuth } from "../auth/admin-auth.ts";
import { GuardedRouter } from "../http/guarded-router.ts";
import { jsonBody } from "../http/json-body.ts";
import { ADMIN_SECURITY } from "../http/router.ts";
import { isolationRoutes } from "../isolation/routes.ts";
import { keyRoutes } from "../keys/routes.ts";
import { meteringRoutes } from "../metering/routes.ts";
import { metricsAdminRoutes } from "../metrics/routes.ts";
import { planRoutes } from "../plans/routes.ts";
import { portalLinkRoutes } from "../portal/routes.ts";
import { provisioningRoutes } from "../provisioning/routes.ts";
import { byokRoutes } from "../secrets/byok-routes.ts";
import { rotationRoutes } from "../secrets/rotation-routes.ts";
import { lifecycleRoutes } from "../tenants/lifecycle-routes.ts";
import { tenantRoutes } from "../tenants/routes.ts";
import { TEST_HOOKS_PREFIX, testHookRoutes } from "../test-hooks/routes.ts";
import { tokenRoutes } from "../tokens/routes.ts";
import { relayAfterWrite } from "../webhooks/relay-kick.ts";
import { webhookRoutes } from "../webhooks/routes.ts";

const isNdjsonImport = (path: string) => /^\/v1\/tenants\/[^/]+\/import$/.test(path);

/**
 * The control plane: every route here runs behind the admin token. Bodies are checked once the
 * caller is known (a bad token is 401 whatever its body). Test hooks join only with TEST_HOOKS=1.
 */
export function adminRouter(options: { testHooks: boolean }): GuardedRouter {
  const router = new GuardedRouter({
    name: "admin",
    prefixes: ["/v1/tenants/*", "/v1/plans", "/v1/admin/*", "/v1/webhooks/*", "/v1/billing/*", "/metrics", ...(options.testHooks ? [TEST_HOOKS_PREFIX] : [])],
    // relayAfterWrite: events a write put in the outbox leave after the response.
    guard: [adminAuth, jsonBody(isNdjsonImport), relayAfterWrite],
    security: ADMIN_SECURITY,
  })
    .add(meteringRoutes)
    .add(isolationRoutes)
    .add(planRoutes)
    .add(tenantRoutes)
    .add(rotationRoutes)
    .add(byokRoutes)
    .add(lifecycleRoutes)
    .add(provisioningRoutes)
    .add(keyRoutes)
    .add(tokenRoutes)
    .add(auditRoutes)
    .add(webhookRoutes)
    .add(billingRoutes)
    .add(metricsAdminRoutes)

    .add(portalLinkRoutes);
  if (options.testHooks) router.add(testHookRoutes);
  return router;
}
