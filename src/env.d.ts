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
    /** Local development only: `host:port` of the WebSocket-to-TCP bridge in front of PostgreSQL. */
    NEON_WS_PROXY?: string;
    /** Tests only: lease lifetime of the runtime object (default 30 s). */
    LEASE_TTL_MS?: string;
    /** Tests only: "1" mounts test hooks (fault injection, probes). Never set in a deployment. */
    TEST_HOOKS?: string;
    /** Benchmarks only: "off" disables usage metering (metering on vs off). */
    METERING?: string;
    /** The console's static files (wrangler.toml [assets]); also what `npm run types` generates. */
    ASSETS: Fetcher;
  }
}
