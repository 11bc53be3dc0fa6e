import type { Feature, Isolation, Limits, PlanId } from "./plans.ts";
import type { TenantStatus } from "./tenant.ts";

/** What a credential may do: read, write, or both. */
export const SCOPES = ["read", "write"] as const;
export type Scope = (typeof SCOPES)[number];

/** A tenant's gateway settings as stored and shown: where `/gw/*` goes, and how long it waits. */
export interface GatewaySettings {
  origin: string;
  timeoutMs: number;
}

/** What the data plane knows about the tenant behind a request: resolved once, cached at the edge. */
export interface TenantContext {
  id: string;
  name: string;
  plan: PlanId;
  status: TenantStatus;
  isolation: Isolation;
  region: string | null;
  limits: Limits;
  features: Feature[];
  /** Bumped by every change to the tenant; lets caches and the runtime object spot stale copies. */
  configVersion: number;
  /** The tenant's own gateway origin (`/gw/*`); null: the deployment's GATEWAY_ORIGIN, if any. */
  gateway?: GatewaySettings | null;
  /** True for the moment an isolation migration switches storage: writes get 503 and a retry hint. */
  writesPaused?: boolean;
  /** An isolation migration is under way: requests are admitted one by one, so it can drain them. */
  migrating?: boolean;
}

/** The credential a data-plane request was made with. */
export type Credential =
  | { kind: "api_key"; keyId: string; scopes: Scope[] }
  | { kind: "token"; sub: string; jti: string; scopes: Scope[] }
  /** A realtime ticket, acting for the credential that asked for it. */
  | { kind: "ticket"; actor: string; jti: string; scopes: Scope[] };

export function actorOf(credential: Credential): string {
  switch (credential.kind) {
    case "api_key":
      return `key:${credential.keyId}`;
    case "token":
      return `token:${credential.sub}`;
    case "ticket":
      return credential.actor;
  }
}
