import { TenantryError } from "@tenantry/sdk";

/** Stable exit codes, so scripts can branch on them. */
export const EXIT = { ok: 0, invalid: 1, auth: 2, notFound: 3, conflict: 4, unavailable: 5 } as const;

export class UsageError extends Error {}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.invalid;
  if (!(error instanceof TenantryError)) return EXIT.unavailable;
  if (error.status === 401 || error.status === 403) return EXIT.auth;
  if (error.status === 404) return EXIT.notFound;
  if (error.status === 409 || error.status === 412) return EXIT.conflict;
  if (error.status === 429 || error.status >= 500) return EXIT.unavailable;
  return EXIT.invalid;
}

/** Progress goes to stderr and only to a terminal: piped output stays clean. */
export function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
}

export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table; values are shown as text, never interpreted. */
export function printTable(rows: Array<Record<string, unknown>>, columns: string[]): void {
  const cell = (value: unknown) => (value === null || value === undefined ? "-" : typeof value === "object" ? JSON.stringify(value) : String(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join("  ").trimEnd();
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((column) => cell(row[column])))}\n`);
}

const BARS = "▁▂▃▄▅▆▇█";

export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return BARS[0]!.repeat(values.length);
  return values.map((value) => BARS[Math.min(BARS.length - 1, Math.floor((value / max) * (BARS.length - 1)))]).join("");
}

export function reportError(error: unknown, json: boolean): void {
  if (json) {
    const problem = error instanceof TenantryError ? error.problem : { code: "invalid_request", detail: (error as Error).message };
    process.stdout.write(`${JSON.stringify({ error: problem }, null, 2)}\n`);
    return;
  }
  if (error instanceof TenantryError) {
    process.stderr.write(`error: ${error.code} (${error.status}): ${error.detail ?? ""}\n`);
    for (const field of error.errors) process.stderr.write(`  ${field.path || "(body)"}: ${field.message}\n`);
  } else {
    process.stderr.write(`error: ${(error as Error).message}\n`);
  }
}
