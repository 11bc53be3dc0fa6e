/**
 * Plans and limits, as the contract fixes them. Effective limits = platform defaults ← plan ←
 * tenant overrides; every level may set any field.
 */
export const PLAN_IDS = ["free", "pro", "enterprise"] as const;
export type PlanId = (typeof PLAN_IDS)[number];

export const FEATURES = ["realtime", "secrets", "dedicated"] as const;
export type Feature = (typeof FEATURES)[number];

export type Isolation = "shared" | "dedicated";

export interface Limits {
  requestsPerSecond: number;
  burst: number;
  requestsPerDay: number | null;
  maxConcurrentRequests: number;
  maxMaps: number | null;
  maxStorageBytes: number | null;
  maxConnections: number;
  maxValueBytes: number;
}

export const LIMIT_FIELDS = [
  "requestsPerSecond",
  "burst",
  "requestsPerDay",
  "maxConcurrentRequests",
  "maxMaps",
  "maxStorageBytes",
  "maxConnections",
  "maxValueBytes",
] as const satisfies readonly (keyof Limits)[];

/** Fields where null means "unlimited". */
export const NULLABLE_LIMITS = new Set<keyof Limits>(["requestsPerDay", "maxMaps", "maxStorageBytes"]);

/** The largest value the platform accepts at all, whatever the plan or override says. */
export const PLATFORM_MAX_VALUE_BYTES = 1_048_576;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const PLATFORM_DEFAULTS: Limits = {
  requestsPerSecond: 10,
  burst: 20,
  requestsPerDay: 10_000,
  maxConcurrentRequests: 4,
  maxMaps: 10,
  maxStorageBytes: 100 * MiB,
  maxConnections: 10,
  maxValueBytes: 65_536,
};

/**
 * Thresholds past which the scheduled job promotes a shared tenant to dedicated isolation (or,
 * without the plan's `dedicated` feature, recommends it). A threshold left out is not checked.
 */
export interface AutoPromote {
  storageBytes?: number;
  sustainedRequestsPerSecond?: number;
  /** How long the rate must hold, in whole minutes (default 10). */
  forMinutes?: number;
}

export const AUTO_PROMOTE_FIELDS = ["storageBytes", "sustainedRequestsPerSecond", "forMinutes"] as const satisfies readonly (keyof AutoPromote)[];
export const DEFAULT_SUSTAINED_MINUTES = 10;

export interface Plan {
  id: PlanId;
  limits: Partial<Limits>;
  features: Feature[];
  isolation: Isolation;
  autoPromote: AutoPromote | null;
}

export const PLANS: Record<PlanId, Plan> = {
  free: { id: "free", limits: {}, features: ["realtime"], isolation: "shared", autoPromote: null },
  pro: {
    id: "pro",
    limits: {
      requestsPerSecond: 100,
      burst: 200,
      requestsPerDay: 100_000,
      maxConcurrentRequests: 20,
      maxMaps: 100,
      maxStorageBytes: 10 * GiB,
      maxConnections: 1000,
      maxValueBytes: 262_144,
    },
    features: ["realtime", "secrets"],
    isolation: "shared",
    autoPromote: null,
  },
  enterprise: {
    id: "enterprise",
    limits: {
      requestsPerSecond: 1000,
      burst: 2000,
      requestsPerDay: null,
      maxConcurrentRequests: 200,
      maxMaps: null,
      maxStorageBytes: null,
      maxConnections: 10_000,
      maxValueBytes: 1_048_576,
    },
    features: ["realtime", "secrets", "dedicated"],
    isolation: "dedicated",
    autoPromote: { storageBytes: 5 * GiB, sustainedRequestsPerSecond: 500, forMinutes: 10 },
  },
};

export function isPlanId(value: string): value is PlanId {
  return (PLAN_IDS as readonly string[]).includes(value);
}

/** Per-tenant overrides of the plan's limits, as stored (`null` on a nullable limit: unlimited). */
export type LimitOverrides = { [Field in keyof Limits]?: number | null };

export function effectiveLimits(plan: PlanId, overrides: LimitOverrides = {}): Limits {
  const limits: Limits = { ...PLATFORM_DEFAULTS, ...PLANS[plan].limits };
  for (const field of LIMIT_FIELDS) {
    const value = overrides[field];
    if (value !== undefined) (limits as unknown as Record<string, number | null>)[field] = value;
  }
  return limits;
}

export function planFeatures(plan: PlanId): Feature[] {
  return [...PLANS[plan].features];
}

/**
 * The plan's thresholds with the tenant's `overrides.autoPromote` laid over them field by field;
 * null when neither sets any threshold.
 */
export function effectiveAutoPromote(plan: PlanId, overrides: Record<string, unknown> = {}): AutoPromote | null {
  const override = overrides.autoPromote;
  const merged: AutoPromote = { ...(PLANS[plan].autoPromote ?? {}) };
  if (override !== null && typeof override === "object" && !Array.isArray(override)) {
    for (const field of AUTO_PROMOTE_FIELDS) {
      const value = (override as Record<string, unknown>)[field];
      if (typeof value === "number") merged[field] = value;
    }
  }
  return merged.storageBytes === undefined && merged.sustainedRequestsPerSecond === undefined ? null : merged;
}

export function planView(plan: Plan) {
  return { id: plan.id, limits: effectiveLimits(plan.id), features: planFeatures(plan.id), isolation: plan.isolation, autoPromote: plan.autoPromote };
}
