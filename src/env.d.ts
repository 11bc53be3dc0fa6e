// Secrets and optional settings that wrangler.toml does not list (secrets are never committed).
declare namespace Cloudflare {
  interface Env {
    ADMIN_TOKEN: string;
    DATABASE_URL: string;
    UPSTASH_REDIS_REST_URL: string;
    UPSTASH_REDIS_REST_TOKEN: string;
    JWT_SECRET: string;
    MASTER_KEY: string;
    /** Set during a master-key rotation: the key being retired. */
    MASTER_KEY_PREVIOUS?: string;
    /** HMAC-SHA256 secret the gateway signs forwarded requests with (RFC 9421); unset: /gw/* answers 503. */
    GATEWAY_SIGNING_SECRET?: string;
    /** Local development only: `host:port` of the WebSocket-to-TCP bridge in front of PostgreSQL. */
    NEON_WS_PROXY?: string;
    /**
     * Local network model only (scripts/stack/network-model.ts, never set in a deployment): added
     * one-way delay and jitter, in ms, of each call to the runtime object.
     */
    LOCAL_RUNTIME_DELAY_MS?: string;
    LOCAL_RUNTIME_JITTER_MS?: string;
    /**
     * Requests of all its tenants a shared runtime shard lets hold a lease at once (default 64);
     * beyond, they wait in fair turn (durable-objects/tenant-runtime/shard-admission.ts).
     */
    SHARD_SEATS?: string;
    /** Tests only: lease lifetime of the runtime object (default 30 s). */
    LEASE_TTL_MS?: string;
    /** Tests only: "1" mounts test hooks (fault injection, probes). Never set in a deployment. */
    TEST_HOOKS?: string;
    /** Tests only: "real" keeps the production retry backoff of queue messages under TEST_HOOKS=1 (the soak). */
    TEST_RETRY_BACKOFF?: string;
    /** Comma-separated delays (ms) before each webhook retry; default the contract's 5 s … 6 h. Tests compress it. */
    WEBHOOK_RETRY_SCHEDULE_MS?: string;
    /** How long a webhook receiver has to answer 2xx (default 15000). */
    WEBHOOK_TIMEOUT_MS?: string;
    /** An endpoint whose every attempt failed for this long is disabled (default 3 days). */
    WEBHOOK_DISABLE_AFTER_MS?: string;
    /** Stripe meter export (docs/INTEGRATIONS.md): off unless both the key and the meters are set. */
    STRIPE_SECRET_KEY?: string;
    /** JSON: usage field → Stripe meter event name, e.g. {"requests":"tenantry_requests"}. */
    STRIPE_METERS?: string;
    /** Stripe's API unless set (tests point it at a local stand-in). */
    STRIPE_API_BASE?: string;
    /** Benchmarks only: "off" disables usage metering (metering on vs off). */
    METERING?: string;
    /** The console's static files (wrangler.toml [assets]); also what `npm run types` generates. */
    ASSETS: Fetcher;
  }
}
