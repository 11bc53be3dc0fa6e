/** Every Upstash key Tenantry writes starts with this, so a tenant's keys can be found and purged. */
export const KEY_PREFIX = "tenantry";

export const tenantCacheKey = (tenantId: string) => `${KEY_PREFIX}:tenant:${tenantId}:context`;
export const credentialCacheKey = (keyHash: string) => `${KEY_PREFIX}:cred:${keyHash}`;
/** Namespace of a tenant's own keys (rate limits, quotas): `${tenantNamespace(id)}:*`. */
export const tenantNamespace = (tenantId: string) => `${KEY_PREFIX}:tenant:${tenantId}`;
