/** Cron: retention purges, provisioning sweeps. Each job is idempotent and bounded. */
export async function runScheduledJobs(_env: Env, _now: Date): Promise<void> {}
