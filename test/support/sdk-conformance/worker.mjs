// A Worker whose every request runs the conformance checks on the built SDK inside workerd and
// answers their result as JSON. workerd-host.ts loads it with the SDK's files as they are.
import * as sdk from "../../../sdk/dist/index.js";
import { runConformance } from "./conformance.mjs";

export default {
  async fetch(_request, env) {
    const result = await runConformance(sdk, { baseUrl: env.TENANTRY_URL, adminToken: env.TENANTRY_ADMIN_TOKEN, runtime: "workerd" });
    return Response.json(result);
  },
};
