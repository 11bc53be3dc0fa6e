import { Command } from "commander";
import { createAdminClient, createTenantClient, type Tenant } from "@tenantry/sdk";
import { configPath, resolveConnection, writeConfig } from "./config.ts";
import { EXIT, exitCodeOf, printJson, printTable, progress, progressDone, reportError, sparkline, UsageError } from "./output.ts";

const program = new Command("tenantry")
  .description("Operate a Tenantry deployment: tenants, keys, tokens, usage, audit, export/import, isolation, maps.")
  .option("--json", "print JSON (stable, for scripts)")
  .option("--url <url>", "API base URL (else TENANTRY_URL, else `tenantry login`)")
  .option("--token <token>", "admin token (else TENANTRY_ADMIN_TOKEN, else `tenantry login`)")
  .showHelpAfterError()
  .exitOverride();

const json = () => Boolean(program.opts().json);

async function adminClient() {
  const saved = await resolveConnection();
  const url = program.opts().url ?? saved.url;
  const token = program.opts().token ?? saved.token;
  if (!url || !token) throw new UsageError("No API URL or admin token: run `tenantry login`, or set TENANTRY_URL and TENANTRY_ADMIN_TOKEN.");
  return createAdminClient({ baseUrl: url, token });
}

async function tenantClient(apiKey: string | undefined) {
  const url = program.opts().url ?? (await resolveConnection()).url;
  const key = apiKey ?? process.env.TENANTRY_API_KEY;
  if (!url || !key) throw new UsageError("A tenant API key is needed: --key tk_… or TENANTRY_API_KEY (and a URL).");
  return createTenantClient({ baseUrl: url, apiKey: key });
}

/** Runs a command's action; any failure becomes a message and a stable exit code. */
function run<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      progressDone();
      reportError(error, json());
      process.exitCode = exitCodeOf(error);
    }
  };
}

function parseJsonOption(name: string, value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
    return parsed as Record<string, unknown>;
  } catch {
    throw new UsageError(`--${name} must be a JSON object.`);
  }
}

function parseDuration(text: string): number {
  const match = /^(\d+)([mhd])$/.exec(text);
  if (!match) throw new UsageError(`Durations look like 90m, 24h or 7d (got "${text}").`);
  return Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "m" | "h" | "d"];
}

const scopes = (text: string | undefined) => (text ? (text.split(",").map((s) => s.trim()) as Array<"read" | "write">) : undefined);

function stepsLine(tenant: Tenant): string {
  const steps = tenant.provisioning.steps.map((step) => `${step.name}:${step.status}`).join(" ");
  return `${tenant.id} ${tenant.status} ${steps}`;
}

function showTenant(tenant: Tenant): void {
  if (json()) return printJson(tenant);
  printTable([tenant as unknown as Record<string, unknown>], ["id", "name", "plan", "status", "isolation", "region", "createdAt"]);
}

program
  .command("login")
  .description("check and save --url and --token (config file mode 0600)")
  .action(
    run(async () => {
      const { url, token } = program.opts() as { url?: string; token?: string };
      if (!url || !token) throw new UsageError("Give both: tenantry login --url <url> --token <admin token>.");
      await createAdminClient({ baseUrl: url, token }).plans.list();
      const file = await writeConfig({ url, token });
      if (json()) printJson({ saved: file });
      else process.stdout.write(`Signed in to ${url}; saved to ${file}\n`);
    }),
  );

const tenants = program.command("tenants").description("create, list, change and delete tenants");

tenants
  .command("create")
  .description("create a tenant; its first API key is shown once")
  .requiredOption("--name <name>")
  .requiredOption("--plan <plan>", "free, pro or enterprise")
  .option("--email <email>")
  .option("--region <region>")
  .option("--overrides <json>", "limit overrides, JSON")
  .option("--metadata <json>", "metadata, JSON")
  .option("--wait", "wait until provisioning is done, showing its steps")
  .action(
    run(async (options: { name: string; plan: string; email?: string; region?: string; overrides?: string; metadata?: string; wait?: boolean }) => {
      const client = await adminClient();
      const created = await client.tenants.create({
        name: options.name,
        plan: options.plan as "free",
        ...(options.email ? { email: options.email } : {}),
        ...(options.region ? { region: options.region } : {}),
        ...(options.overrides ? { overrides: parseJsonOption("overrides", options.overrides) as never } : {}),
        ...(options.metadata ? { metadata: parseJsonOption("metadata", options.metadata) } : {}),
      });
      const tenant = options.wait ? await client.tenants.waitUntilActive(created.tenant.id, { onProgress: (t) => progress(stepsLine(t)) }) : created.tenant;
      progressDone();
      if (json()) return printJson({ tenant, apiKey: created.apiKey });
      showTenant(tenant);
      process.stdout.write(`\nAPI key (shown once): ${created.apiKey.key}\n`);
    }),
  );

tenants
  .command("ls")
  .description("list tenants, newest first")
  .option("--status <status>")
  .option("--plan <plan>")
  .option("--limit <n>", "page size", "20")
  .option("--all", "every page")
  .action(
    run(async (options: { status?: string; plan?: string; limit: string; all?: boolean }) => {
      const client = await adminClient();
      const query = { ...(options.status ? { status: options.status as "active" } : {}), ...(options.plan ? { plan: options.plan as "pro" } : {}), limit: Number(options.limit) };
      let rows: Tenant[];
      let nextCursor: string | null | undefined = null;
      if (options.all) {
        rows = [];
        for await (const tenant of client.tenants.iterate(query)) rows.push(tenant);
      } else {
        const page = await client.tenants.list(query);
        rows = page.data;
        nextCursor = page.nextCursor;
      }
      if (json()) return printJson({ data: rows, nextCursor });
      printTable(rows as unknown as Array<Record<string, unknown>>, ["id", "name", "plan", "status", "isolation", "createdAt"]);
    }),
  );

tenants.command("get <id>").description("show one tenant").action(run(async (id: string) => showTenant(await (await adminClient()).tenants.get(id))));

tenants
  .command("update <id>")
  .description("change name, plan, overrides or metadata (overrides and metadata merge; null removes)")
  .option("--name <name>")
  .option("--plan <plan>")
  .option("--overrides <json>")
  .option("--metadata <json>")
  .action(
    run(async (id: string, options: { name?: string; plan?: string; overrides?: string; metadata?: string }) => {
      const patch = {
        ...(options.name ? { name: options.name } : {}),
        ...(options.plan ? { plan: options.plan as "pro" } : {}),
        ...(options.overrides ? { overrides: parseJsonOption("overrides", options.overrides) as never } : {}),
        ...(options.metadata ? { metadata: parseJsonOption("metadata", options.metadata) } : {}),
      };
      if (Object.keys(patch).length === 0) throw new UsageError("Nothing to change: give --name, --plan, --overrides or --metadata.");
      showTenant(await (await adminClient()).tenants.update(id, patch));
    }),
  );

tenants.command("suspend <id>").description("refuse writes (reads stay allowed)").action(run(async (id: string) => showTenant(await (await adminClient()).tenants.suspend(id))));
tenants.command("resume <id>").description("allow writes again").action(run(async (id: string) => showTenant(await (await adminClient()).tenants.resume(id))));
tenants
  .command("delete <id>")
  .description("delete (data kept until purgeAfter; --hard purges now)")
  .option("--hard")
  .action(run(async (id: string, options: { hard?: boolean }) => showTenant(await (await adminClient()).tenants.delete(id, { hard: options.hard }))));

const keys = program.command("keys").description("API keys of a tenant");
keys
  .command("create <tenant>")
  .requiredOption("--name <name>")
  .option("--scopes <scopes>", "read,write")
  .option("--expires <iso>", "expiry, ISO-8601")
  .action(
    run(async (tenant: string, options: { name: string; scopes?: string; expires?: string }) => {
      const key = await (await adminClient()).keys.create(tenant, { name: options.name, ...(options.scopes ? { scopes: scopes(options.scopes) } : {}), ...(options.expires ? { expiresAt: options.expires } : {}) });
      if (json()) return printJson(key);
      printTable([key as unknown as Record<string, unknown>], ["id", "name", "scopes", "expiresAt"]);
      process.stdout.write(`\nAPI key (shown once): ${key.key}\n`);
    }),
  );
keys.command("ls <tenant>").action(
  run(async (tenant: string) => {
    const list = await (await adminClient()).keys.list(tenant);
    if (json()) return printJson(list);
    printTable(list.data as unknown as Array<Record<string, unknown>>, ["id", "name", "start", "scopes", "expiresAt", "createdAt"]);
  }),
);
keys.command("revoke <tenant> <keyId>").action(
  run(async (tenant: string, keyId: string) => {
    await (await adminClient()).keys.revoke(tenant, keyId);
    if (json()) printJson({ revoked: keyId });
    else process.stdout.write(`Revoked ${keyId}\n`);
  }),
);

program
  .command("tokens")
  .description("tenant tokens (JWT)")
  .command("issue <tenant>")
  .requiredOption("--sub <subject>")
  .option("--scopes <scopes>", "read,write")
  .option("--ttl <seconds>", "lifetime in seconds (≤ 86400)")
  .action(
    run(async (tenant: string, options: { sub: string; scopes?: string; ttl?: string }) => {
      const token = await (await adminClient()).tokens.issue(tenant, { sub: options.sub, ...(options.scopes ? { scopes: scopes(options.scopes) } : {}), ...(options.ttl ? { ttlSeconds: Number(options.ttl) } : {}) });
      if (json()) printJson(token);
      else process.stdout.write(`${token.token}\n(expires ${token.expiresAt})\n`);
    }),
  );

program
  .command("usage <tenant>")
  .description("usage over time, as a table and a sparkline")
  .option("--by <granularity>", "minute, hour or day", "hour")
  .option("--since <duration>", "how far back (e.g. 90m, 24h, 7d)", "24h")
  .option("--flush", "flush the runtime's counters first, for exact figures")
  .action(
    run(async (tenant: string, options: { by: string; since: string; flush?: boolean }) => {
      const client = await adminClient();
      const from = new Date(Date.now() - parseDuration(options.since)).toISOString();
      if (options.flush) await client.usage.flush(tenant);
      const usage = await client.usage.get(tenant, { granularity: options.by as "hour", from });
      if (json()) return printJson(usage);
      printTable(usage.series as unknown as Array<Record<string, unknown>>, ["start", "requests", "rejected", "readOps", "writeOps", "bytesIn", "bytesOut"]);
      process.stdout.write(`\nrequests ${sparkline(usage.series.map((point) => point.requests))}  total ${usage.totals.requests}\n`);
    }),
  );

program
  .command("audit <tenant>")
  .description("the tenant's audit log, newest first")
  .option("--action <action>")
  .option("--limit <n>", "how many", "50")
  .action(
    run(async (tenant: string, options: { action?: string; limit: string }) => {
      const client = await adminClient();
      const limit = Number(options.limit);
      const events = [];
      for await (const event of client.audit.iterate(tenant, { ...(options.action ? { action: options.action } : {}), limit: Math.min(100, limit) })) {
        events.push(event);
        if (events.length >= limit) break;
      }
      if (json()) return printJson({ data: events });
      printTable(events as unknown as Array<Record<string, unknown>>, ["at", "actor", "action", "details"]);
    }),
  );

program
  .command("export <tenant>")
  .description("write the tenant's export (NDJSON) to stdout")
  .action(
    run(async (tenant: string) => {
      const stream = await (await adminClient()).tenants.export(tenant);
      let lines = 0;
      let bytes = 0;
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        for (const byte of value) if (byte === 10) lines += 1;
        if (!process.stdout.write(value)) await new Promise((resolve) => process.stdout.once("drain", resolve));
        progress(`exported ${lines} lines, ${bytes} bytes`);
      }
      progressDone();
      process.stderr.write(`exported ${lines} lines (${bytes} bytes)\n`);
    }),
  );

program
  .command("import <tenant>")
  .description("load an export (NDJSON) from stdin into an empty tenant")
  .action(
    run(async (tenant: string) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
        bytes += (chunk as Buffer).length;
        progress(`read ${bytes} bytes`);
      }
      progress(`uploading ${bytes} bytes`);
      const result = await (await adminClient()).tenants.import(tenant, Buffer.concat(chunks).toString("utf8"));
      progressDone();
      if (json()) printJson(result);
      else process.stdout.write(`imported ${result.imported} records\n`);
    }),
  );

program
  .command("isolation <tenant> <level>")
  .description("move the tenant to shared or dedicated isolation, online")
  .option("--region <region>")
  .option("--wait", "wait for the migration, showing its steps")
  .action(
    run(async (tenant: string, level: string, options: { region?: string; wait?: boolean }) => {
      if (level !== "shared" && level !== "dedicated") throw new UsageError('The level is "shared" or "dedicated".');
      const client = await adminClient();
      let result = await client.tenants.changeIsolation(tenant, level, options.region);
      if (options.wait) {
        result = await client.tenants.waitForMigration(tenant, {
          onProgress: (t) => {
            const migration = t.migration as { steps?: Array<{ name: string; status: string }> } | null;
            progress(`${t.id} ${(migration?.steps ?? []).map((step) => `${step.name}:${step.status}`).join(" ")}`);
          },
        });
      }
      progressDone();
      showTenant(result);
    }),
  );

const maps = program.command("maps").description("a tenant's maps, with its API key (--key or TENANTRY_API_KEY)");
maps
  .command("get <map> <key>")
  .option("--key <apiKey>")
  .action(
    run(async (map: string, key: string, options: { key?: string }) => {
      const record = await (await tenantClient(options.key)).maps.get(map, key);
      printJson(json() ? record : record.value);
    }),
  );
maps
  .command("put <map> <key> <value>")
  .description("value is JSON (a bare word is taken as a string)")
  .option("--key <apiKey>")
  .option("--if-version <n>", "write only at this version")
  .action(
    run(async (map: string, key: string, value: string, options: { key?: string; ifVersion?: string }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = value;
      }
      const written = await (await tenantClient(options.key)).maps.put(map, key, parsed, options.ifVersion ? { ifVersion: Number(options.ifVersion) } : {});
      if (json()) printJson(written);
      else process.stdout.write(`${written.map}/${written.key} version ${written.version}\n`);
    }),
  );
maps
  .command("ls [map]")
  .description("the tenant's maps, or one map's records")
  .option("--key <apiKey>")
  .option("--prefix <prefix>")
  .action(
    run(async (map: string | undefined, options: { key?: string; prefix?: string }) => {
      const client = await tenantClient(options.key);
      if (!map) {
        const index = await client.maps.index();
        if (json()) return printJson(index);
        return printTable(index.data as unknown as Array<Record<string, unknown>>, ["name", "count", "bytes"]);
      }
      const records = [];
      for await (const record of client.maps.iterate(map, options.prefix ? { prefix: options.prefix } : {})) records.push(record);
      if (json()) return printJson({ data: records });
      printTable(records as unknown as Array<Record<string, unknown>>, ["key", "version", "updatedAt", "value"]);
    }),
  );

program.addHelpText("after", `\nExit codes: 0 ok, 1 invalid input, 2 refused (401, 403: credential, scope, suspended tenant, plan), 3 not found, 4 conflict, 5 unavailable or rate limited.\nConfig file: ${configPath()}\n`);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // commander's own exits (--help, --version, a usage mistake) arrive here with exitOverride.
  const code = (error as { exitCode?: number; code?: string }).code;
  process.exitCode = code === "commander.helpDisplayed" || code === "commander.help" || code === "commander.version" ? EXIT.ok : EXIT.invalid;
}
