import { auditRoutes } from "../audit/routes.ts";
import { createRouter } from "../http/router.ts";
import { keyRoutes } from "../keys/routes.ts";
import { provisioningRoutes } from "../provisioning/routes.ts";
import { tokenRoutes } from "../tokens/routes.ts";
import { lifecycleRoutes } from "../tenants/lifecycle-routes.ts";

/** The control plane's routes beyond create/get/list: lifecycle, provisioning, keys, tokens, audit. */
export const controlPlaneRoutes = createRouter()
  .route("/", lifecycleRoutes)
  .route("/", provisioningRoutes)
  .route("/", keyRoutes)
  .route("/", tokenRoutes)
  .route("/", auditRoutes);
