/**
 * The one logger: a JSON line per event, so `wrangler tail` and Workers Logs can filter on fields.
 * Known fields come first (level, message, requestId, tenantId, error); `error` may be anything
 * thrown and is logged as its message.
 */
export type LogLevel = "info" | "warn" | "error";

export interface LogFields {
  requestId?: string;
  tenantId?: string;
  error?: unknown;
  [field: string]: unknown;
}

export function logEvent(level: LogLevel, message: string, fields: LogFields = {}): void {
  const { requestId, tenantId, error, ...rest } = fields;
  const line = JSON.stringify({
    level,
    message,
    requestId,
    tenantId,
    error: error === undefined ? undefined : errorMessage(error),
    ...rest,
  });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  info: (message: string, fields?: LogFields) => logEvent("info", message, fields),
  warn: (message: string, fields?: LogFields) => logEvent("warn", message, fields),
  error: (message: string, fields?: LogFields) => logEvent("error", message, fields),
};

export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}
