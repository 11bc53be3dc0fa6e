const TENANT_ID = /^ten_([0-9a-z]{26})$/;

/** Schema and role of a dedicated tenant, derived from its id (never from request input). */
export function dedicatedNames(tenantId: string): { schema: string; role: string } {
  const match = TENANT_ID.exec(tenantId);
  if (!match) throw new Error(`not a tenant id: ${tenantId}`);
  return { schema: `t_${match[1]}`, role: `t_${match[1]}_rw` };
}
