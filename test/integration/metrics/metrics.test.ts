// Prometheus metrics: the platform's /metrics and each tenant's own, checked with promtool, a
// Prometheus text parser from npm and the Prometheus client library's strict OpenMetrics parser.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, expectProblem } from "../../support/api.ts";
import { database } from "../../support/postgres.ts";
import { activeTenant, type ActiveTenant } from "../../support/tenants.ts";

/** Debian's python3-prometheus-client lives beside Debian's python (a pyenv shim first on the PATH would not see it). */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const pool = database();
const OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

const FAMILIES = [
  "tenantry_tenants",
  "tenantry_requests_total",
  "tenantry_ops_total",
  "tenantry_bytes_total",
  "tenantry_realtime_connections",
  "tenantry_provisioning_seconds",
  "tenantry_usage_flush_lag_seconds",
  "tenantry_webhook_deliveries_total",
  "tenantry_billing_export_lag_seconds",
];

interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

const parse = (text: string) => parsePrometheusTextFormat(text) as ParsedFamily[];

function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 20_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}${run.error ? String(run.error) : ""}` };
}

/** The Prometheus client library's OpenMetrics parser: strict about `# EOF`, counter naming and canonical numbers. */
function openMetricsParse(text: string): { status: number | null; output: string } {
  const script = [
    "import sys",
    "from prometheus_client.openmetrics.parser import text_string_to_metric_families",
    "families = list(text_string_to_metric_families(sys.stdin.read()))",
    "print(' '.join(sorted(f.name + ':' + f.type for f in families)))",
  ].join("\n");
  const run = spawnSync(PYTHON, ["-c", script], { input: text, encoding: "utf8", timeout: 20_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function sample(families: ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`no family ${name}`);
  const metric = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!metric) throw new Error(`no ${name} sample with ${JSON.stringify(labels)}`);
  return Number(metric.value ?? metric.count);
}

/** Series as Prometheus would store them: one per sample line. */
const seriesCount = (text: string) => text.split("\n").filter((line) => line && !line.startsWith("#")).length;

async function metricsOf(tenant: ActiveTenant): Promise<ParsedFamily[]> {
  const response = await admin("GET", `/v1/tenants/${tenant.id}/metrics`);
  expect(response.status, response.text).toBe(200);
  return parse(response.text);
}

describe("metrics", () => {
  let tenant: ActiveTenant;
  let other: ActiveTenant;

  beforeAll(async () => {
    [tenant, other] = await Promise.all([activeTenant({ plan: "pro" }), activeTenant({ plan: "free" })]);
  }, 60_000);

  it("serves /metrics in the Prometheus text format that promtool accepts, with the contract's families", async () => {
    const response = await admin("GET", "/metrics");
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const check = promtool(response.text);
    expect(check.output).toBe("");
    expect(check.status).toBe(0);

    const families = parse(response.text);
    for (const name of FAMILIES) {
      const family = families.find((f) => f.name === name);
      expect(family, name).toBeDefined();
      expect(family!.help.length, name).toBeGreaterThan(0);
    }
    expect(families.find((f) => f.name === "tenantry_requests_total")!.type).toBe("COUNTER");
    expect(families.find((f) => f.name === "tenantry_provisioning_seconds")!.type).toBe("HISTOGRAM");
    expect(families.find((f) => f.name === "tenantry_tenants")!.type).toBe("GAUGE");
    expect(response.text).toMatch(/^tenantry_provisioning_seconds_bucket\{le="\+Inf"\} \d+$/m);
    expect(response.text).toMatch(/^tenantry_provisioning_seconds_sum [\d.e+-]+$/m);
    // At least the two tenants of this file are active and were provisioned.
    expect(sample(families, "tenantry_tenants", { status: "active", plan: "pro" })).toBeGreaterThanOrEqual(1);
    expect(sample(families, "tenantry_provisioning_seconds")).toBeGreaterThanOrEqual(2);
    // Labels come from bounded sets only: no tenant id anywhere.
    expect(response.text).not.toContain("ten_");
  });

  it("answers OpenMetrics 1.0 when Accept asks for it, which a strict OpenMetrics parser reads", async () => {
    const response = await admin("GET", "/metrics", { headers: { Accept: OPENMETRICS } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(response.text.endsWith("# EOF\n")).toBe(true);
    expect(response.text).toContain("# TYPE tenantry_requests counter\n");
    const parsed = openMetricsParse(response.text);
    expect(parsed.output).toContain("tenantry_requests:counter");
    expect(parsed.output).toContain("tenantry_provisioning_seconds:histogram");
    expect(parsed.status).toBe(0);

    const tenantView = await admin("GET", `/v1/tenants/${tenant.id}/metrics`, { headers: { Accept: OPENMETRICS } });
    const tenantParsed = openMetricsParse(tenantView.text);
    expect(tenantParsed.output).toContain("tenantry_quota_used_ratio:gauge");
    expect(tenantParsed.status).toBe(0);
  });

  it("counts a tenant's requests by outcome, ops and bytes exactly once its usage is flushed", async () => {
    const readOnly = await admin("POST", `/v1/tenants/${tenant.id}/keys`, { body: { name: "reader", scopes: ["read"] } });
    expect(readOnly.status).toBe(201);
    expect((await tenant.call("PUT", "/v1/maps/metrics/a", { body: { n: 1 } })).status).toBe(200);
    expect((await tenant.call("GET", "/v1/maps/metrics/a")).status).toBe(200);
    expect((await tenant.call("GET", "/v1/maps/metrics/missing")).status).toBe(404);
    expect((await call("PUT", "/v1/maps/metrics/b", { token: readOnly.body.key, body: 1 })).status).toBe(403);
    expect((await admin("POST", `/v1/tenants/${tenant.id}/usage/flush`)).status).toBe(200);

    const expected = { ok: 2, client_error: 2, server_error: 0, rate_limited: 0, quota_exceeded: 0, concurrency_limited: 0, not_ready: 0 };
    // A refusal at the edge reaches the runtime object after its response: give it a moment.
    let families: ParsedFamily[] = [];
    for (let i = 0; i < 20; i++) {
      families = await metricsOf(tenant);
      if (sample(families, "tenantry_requests_total", { outcome: "client_error" }) === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
      await admin("POST", `/v1/tenants/${tenant.id}/usage/flush`);
    }
    for (const [outcome, count] of Object.entries(expected)) {
      expect(sample(families, "tenantry_requests_total", { plan: "pro", outcome }), outcome).toBe(count);
    }
    expect(sample(families, "tenantry_ops_total", { kind: "write" })).toBe(1);
    // The GET of a missing key is a read too.
    expect(sample(families, "tenantry_ops_total", { kind: "read" })).toBe(2);
    expect(sample(families, "tenantry_bytes_total", { direction: "in" })).toBeGreaterThan(0);
    expect(sample(families, "tenantry_tenants", { status: "active", plan: "pro" })).toBe(1);
    expect(sample(families, "tenantry_usage_flush_lag_seconds")).toBe(0);
    // One map of the pro plan's 100; three admitted requests today of 100000 (the refused one is refunded).
    expect(sample(families, "tenantry_quota_used_ratio", { limit: "maxMaps" })).toBeCloseTo(1 / 100, 6);
    expect(sample(families, "tenantry_quota_used_ratio", { limit: "requestsPerDay" })).toBeCloseTo(3 / 100_000, 6);
    expect(sample(families, "tenantry_quota_used_ratio", { limit: "maxConnections" })).toBe(0);
    const check = promtool((await admin("GET", `/v1/tenants/${tenant.id}/metrics`)).text);
    expect(check.output).toBe("");
  });

  it("shows a tenant its own metrics with a read credential, and nothing of another tenant's", async () => {
    const own = await other.call("GET", "/v1/metrics");
    expect(own.status, own.text).toBe(200);
    const families = parse(own.text);
    expect(sample(families, "tenantry_tenants", { status: "active", plan: "free" })).toBe(1);
    // Only its own plan's series: the other tenant (pro) is not in there.
    expect(own.text).not.toContain('plan="pro"');
    expect(sample(families, "tenantry_ops_total", { kind: "write" })).toBe(0);
    expect(promtool(own.text).status).toBe(0);

    const writeOnly = await admin("POST", `/v1/tenants/${other.id}/keys`, { body: { name: "writer", scopes: ["write"] } });
    expectProblem(await call("GET", "/v1/metrics", { token: writeOnly.body.key }), 403, "forbidden");
    expectProblem(await other.call("GET", `/v1/tenants/${tenant.id}/metrics`), 401, "unauthenticated");
    expectProblem(await other.call("GET", "/v1/metrics", { headers: { "X-Tenant-Id": tenant.id } }), 403, "tenant_mismatch");
    expectProblem(await other.call("GET", "/metrics"), 401, "unauthenticated");
    expectProblem(await call("GET", "/metrics"), 401, "unauthenticated");
    expectProblem(await admin("GET", "/v1/tenants/ten_00000000000000000000000000/metrics"), 404, "not_found");
  });

  it("keeps the number of /metrics series independent of the number of tenants (1000 more)", async () => {
    const before = (await admin("GET", "/metrics")).text;
    const prefix = `ten_bulk${Date.now().toString(36)}`;
    const statuses = ["pending", "provisioning", "active", "suspended", "failed", "deleted"];
    const plans = ["free", "pro", "enterprise"];
    await pool.query(
      `insert into tenants (id, name, plan, status, isolation)
       select $1 || lpad(i::text, 5, '0'), 'bulk ' || i, ($2::text[])[1 + i % 3], ($3::text[])[1 + i % 6], 'shared'
       from generate_series(1, 1000) i`,
      [prefix, plans, statuses],
    );
    await pool.query(
      `insert into usage_totals (tenant_id, requests, outcome_ok, outcome_rate_limited, read_ops, bytes_out)
       select id, 10, 9, 1, 3, 100 from tenants where id like $1 || '%'`,
      [prefix],
    );
    try {
      const after = await admin("GET", "/metrics");
      expect(after.status).toBe(200);
      expect(seriesCount(after.text)).toBe(seriesCount(before));
      expect(promtool(after.text).status).toBe(0);
      const grown = parse(after.text);
      const was = parse(before);
      // The figures moved, the series did not.
      expect(sample(grown, "tenantry_requests_total", { plan: "pro", outcome: "ok" })).toBeGreaterThanOrEqual(
        sample(was, "tenantry_requests_total", { plan: "pro", outcome: "ok" }) + 333 * 9,
      );
      const tenantsTotal = (families: ParsedFamily[]) =>
        families.find((f) => f.name === "tenantry_tenants")!.metrics.reduce((sum, m) => sum + Number(m.value), 0);
      expect(tenantsTotal(grown) - tenantsTotal(was)).toBe(1000);
    } finally {
      await pool.query(`delete from usage_totals where tenant_id like $1 || '%'`, [prefix]);
      await pool.query(`delete from tenants where id like $1 || '%'`, [prefix]);
    }
  });
});
