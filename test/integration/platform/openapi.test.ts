import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchOpenApi, operationsOf, planeOf } from "../../support/openapi-operations.ts";

const run = promisify(execFile);
const REDOCLY = path.resolve("node_modules/.bin/redocly");

describe("GET /openapi.json", () => {
  let doc: Record<string, any>;
  let dir: string;

  beforeAll(async () => {
    doc = await fetchOpenApi();
    dir = await mkdtemp(path.join(os.tmpdir(), "tenantry-openapi-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("passes redocly lint with the recommended rules: no errors", async () => {
    const file = path.join(dir, "openapi.json");
    await writeFile(file, JSON.stringify(doc, null, 2));
    // Offline: no telemetry, no update check.
    const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", REDOCLY_SUPPRESS_NOTIFICATIONS: "true" };
    const { stdout } = await run(REDOCLY, ["lint", "--extends=recommended", "--format=json", file], { env, cwd: dir, timeout: 60_000 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }),
    );
    const report = JSON.parse(stdout) as { totals: { errors: number }; problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    const errors = report.problems.filter((problem) => problem.severity === "error").map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 90_000);

  it("gives every operation a unique dotted operationId and an explicit security", () => {
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThanOrEqual(30);
    const ids = operations.map((operation) => operation.operationId);
    for (const operation of operations) {
      expect(operation.operationId, `${operation.method} ${operation.path}`).toMatch(/^[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/);
      expect(Array.isArray(operation.security), `${operation.method} ${operation.path} security`).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("names the contract's operations as the contract does", () => {
    const byId = new Map(operationsOf(doc).map((operation) => [operation.operationId, `${operation.method} ${operation.path}`]));
    expect(Object.fromEntries(["tenants.create", "tenants.get", "maps.put", "maps.index", "health.get", "realtime.createTicket"].map((id) => [id, byId.get(id)]))).toEqual({
      "tenants.create": "POST /v1/tenants",
      "tenants.get": "GET /v1/tenants/{id}",
      "maps.put": "PUT /v1/maps/{map}/{key}",
      "maps.index": "GET /v1/maps",
      "health.get": "GET /v1/health",
      "realtime.createTicket": "POST /v1/realtime/tickets",
    });
  });

  it("leaves only health, the document itself, the console's page and portal links (the link's token is the credential) public, and names a server", () => {
    const operations = operationsOf(doc);
    const publicOnes = operations.filter((operation) => planeOf(operation) === "public").map((operation) => operation.operationId).sort();
    expect(publicOnes).toEqual(["console.get", "health.get", "openapi.get", "portal.open"]);
    expect(Object.keys(doc.paths["/console"].get.responses["200"].content)).toEqual(["text/html"]);
    expect(doc.servers?.[0]?.url).toMatch(/^https?:\/\//);
  });
});
