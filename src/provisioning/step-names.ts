/** The provisioning steps, in the order they run. Each is idempotent; a finished one never runs again. */
export const STEP_NAMES = ["database", "cache", "configuration", "runtime", "smoke_test"] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** What a plan or limit-override change invalidates (isolation, hence `database`, never changes). */
export const PLAN_DEPENDENT_STEPS: readonly StepName[] = ["configuration", "cache", "runtime"];
