/** Everything under this prefix is forwarded to the tenant's origin. */
export const GATEWAY_PREFIX = "/gw";

export const isGatewayPath = (path: string) => path === GATEWAY_PREFIX || path.startsWith(`${GATEWAY_PREFIX}/`);
