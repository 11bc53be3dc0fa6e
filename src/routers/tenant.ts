import { createRouter } from "../http/router.ts";
import { byokRoutes } from "../secrets/byok-routes.ts";
import { rotationRoutes } from "../secrets/rotation-routes.ts";

/** Control-plane routes of the secrets domain (admin token): master-key rotation and BYOK. */
export const secretAdminRoutes = createRouter().route("/", rotationRoutes).route("/", byokRoutes);
