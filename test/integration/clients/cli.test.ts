// The `tenantry` CLI, spawned as a process against the local stack: --json output and exit codes.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { adminToken, baseUrl } from "../../support/api.ts";

const BIN = path.resolve("cli/bin/tenantry.js");
let configDir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the CLI with `args`; stdin from `input`. The admin connection comes from the environment unless `env` says otherwise. */
function cli(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    TENANTRY_URL: baseUrl(),
    TENANTRY_ADMIN_TOKEN: adminToken(),
    TENANTRY_CONFIG: path.join(configDir, "config.json"),
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
    child.stdin.end(options.input ?? "");
  });
}

beforeAll(async () => {
  configDir = await mkdtemp(path.join(os.tmpdir(), "tenantry-cli-"));
  // The CLI runs from its build, as an installed one does (`npm install` builds it too).
  await promisify(execFile)("npm", ["run", "build"], { timeout: 120_000 });
}, 180_000);

describe("tenantry CLI", () => {
  it("logs in to a config file only its owner can read, and uses it", async () => {
    const login = await cli(["login", "--url", baseUrl(), "--token", adminToken(), "--json"], { env: { TENANTRY_URL: undefined, TENANTRY_ADMIN_TOKEN: undefined } });
    expect(login.code).toBe(0);
    const file = path.join(configDir, "config.json");
    expect(login.json).toEqual({ saved: file });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ url: baseUrl(), token: adminToken() });
    const list = await cli(["tenants", "ls", "--limit", "2", "--json"], { env: { TENANTRY_URL: undefined, TENANTRY_ADMIN_TOKEN: undefined } });
    expect(list.code).toBe(0);
    expect(Array.isArray(list.json.data)).toBe(true);

    const refused = await cli(["login", "--url", baseUrl(), "--token", "wrong"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("unauthenticated");
  });

  it("runs a tenant's lifecycle with --json and stable exit codes", async () => {
    const created = await cli(["tenants", "create", "--name", "cli-acme", "--plan", "pro", "--metadata", '{"team":"cli"}', "--wait", "--json"]);
    expect(created.code).toBe(0);
    expect(created.json.tenant).toMatchObject({ name: "cli-acme", plan: "pro", status: "active", metadata: { team: "cli" } });
    expect(created.json.apiKey.key).toMatch(/^tk_/);
    const id: string = created.json.tenant.id;
    const apiKey: string = created.json.apiKey.key;

    expect((await cli(["tenants", "get", id, "--json"])).json.id).toBe(id);
    const table = await cli(["tenants", "get", id]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+PLAN/);
    expect(table.stdout).toContain("cli-acme");
    expect((await cli(["tenants", "update", id, "--plan", "free", "--json"])).json.plan).toBe("free");
    expect((await cli(["tenants", "suspend", id, "--json"])).json.status).toBe("suspended");
    expect((await cli(["tenants", "resume", id, "--json"])).json.status).toBe("active");

    const again = await cli(["tenants", "resume", id, "--json"]);
    expect(again.code).toBe(4);
    expect(again.json.error).toMatchObject({ status: 409, code: "conflict" });

    const put = await cli(["maps", "put", "notes", "first", '{"text":"hello"}', "--key", apiKey, "--json"]);
    expect(put.code).toBe(0);
    expect(put.json).toMatchObject({ map: "notes", key: "first", version: 1 });
    expect((await cli(["maps", "put", "notes", "second", "plain-word"], { env: { TENANTRY_API_KEY: apiKey } })).code).toBe(0);
    expect((await cli(["maps", "get", "notes", "second", "--key", apiKey])).json).toBe("plain-word");
    expect((await cli(["maps", "ls", "notes", "--key", apiKey, "--json"])).json.data.map((r: any) => r.key)).toEqual(["first", "second"]);
    expect((await cli(["maps", "put", "notes", "first", "1", "--if-version", "9", "--key", apiKey])).code).toBe(4);

    const key = await cli(["keys", "create", id, "--name", "ci", "--scopes", "read", "--json"]);
    expect(key.json).toMatchObject({ name: "ci", scopes: ["read"] });
    expect((await cli(["keys", "ls", id, "--json"])).json.data.map((k: any) => k.id)).toContain(key.json.id);
    expect((await cli(["keys", "revoke", id, key.json.id, "--json"])).json).toEqual({ revoked: key.json.id });

    const token = await cli(["tokens", "issue", id, "--sub", "user-7", "--ttl", "600", "--json"]);
    expect(token.json.token.split(".")).toHaveLength(3);

    const usage = await cli(["usage", id, "--by", "minute", "--since", "1h", "--flush", "--json"]);
    expect(usage.code).toBe(0);
    expect(usage.json.totals.writeOps).toBeGreaterThanOrEqual(2);
    const usageTable = await cli(["usage", id, "--by", "minute", "--since", "1h"]);
    expect(usageTable.stdout).toMatch(/requests [▁▂▃▄▅▆▇█]+\s+total \d+/);

    const audit = await cli(["audit", id, "--action", "key.revoked", "--json"]);
    expect(audit.json.data).toEqual([expect.objectContaining({ action: "key.revoked" })]);

    const deleted = await cli(["tenants", "delete", id, "--json"]);
    expect(deleted.json.status).toBe("deleted");
    expect((await cli(["maps", "get", "notes", "first", "--key", apiKey])).code).toBe(2);
  });

  it("exports a tenant to stdout and imports it into another from stdin", async () => {
    const source = await cli(["tenants", "create", "--name", "cli-src", "--plan", "pro", "--wait", "--json"]);
    const key = source.json.apiKey.key;
    for (const n of [1, 2, 3]) expect((await cli(["maps", "put", "items", `k${n}`, String(n), "--key", key])).code).toBe(0);
    const exported = await cli(["export", source.json.tenant.id]);
    expect(exported.code).toBe(0);
    expect(exported.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(4);
    const file = path.join(configDir, "export.ndjson");
    await writeFile(file, exported.stdout);

    const target = await cli(["tenants", "create", "--name", "cli-dst", "--plan", "pro", "--wait", "--json"]);
    const imported = await cli(["import", target.json.tenant.id, "--json"], { input: await readFile(file, "utf8") });
    expect(imported.code).toBe(0);
    expect(imported.json).toEqual({ imported: 3 });
    expect((await cli(["maps", "get", "items", "k2", "--key", target.json.apiKey.key])).json).toBe(2);
  });

  it("exits 1 on invalid input, 3 on not found, 5 when the API is unreachable", async () => {
    const invalid = await cli(["tenants", "create", "--name", "x", "--plan", "gold", "--json"]);
    expect(invalid.code).toBe(1);
    expect(invalid.json.error).toMatchObject({ status: 400, code: "invalid_request" });
    expect((await cli(["tenants", "create", "--name", "x"])).code).toBe(1);
    expect((await cli(["tenants", "update", "ten_x", "--overrides", "[1]"])).code).toBe(1);
    expect((await cli(["usage", "ten_x", "--since", "yesterday"])).code).toBe(1);
    expect((await cli(["tenants", "get", "ten_doesnotexist"])).code).toBe(3);
    expect((await cli(["tenants", "ls"], { env: { TENANTRY_URL: "http://127.0.0.1:9" } })).code).toBe(5);
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes: 0 ok, 1 invalid input");
  });
});
