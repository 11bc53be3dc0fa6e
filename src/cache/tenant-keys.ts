/** Every Upstash key Tenantry writes starts with this, so a tenant's keys can be found and purged. */
export const KEY_PREFIX = "tenantry";

/** Namespace of a tenant's own keys (context cache, rate limits, quotas): `${tenantNamespace(id)}:*`. */
export const tenantNamespace = (tenantId: string) => `${KEY_PREFIX}:tenant:${tenantId}`;
export const tenantCacheKey = (tenantId: string) => `${tenantNamespace(tenantId)}:context`;
export const tenantGenerationKey = (tenantId: string) => `${tenantNamespace(tenantId)}:gen`;
export const credentialCacheKey = (keyHash: string) => `${KEY_PREFIX}:cred:${keyHash}`;
export const credentialGenerationKey = (keyHash: string) => `${KEY_PREFIX}:cred:${keyHash}:gen`;
