import { errors, type UpstashResponse } from "@upstash/redis";

export interface RedisConfig {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
}

/**
 * One POST to Upstash's REST API: a command to the root, a list of them to `pipeline` (or any
 * other endpoint by `path`). Values travel as JSON text, not base64: everything this product
 * stores is UTF-8 (JSON documents, counters), so there is nothing to decode answer by answer.
 * Fails on a network error, a timeout (`signal`) or a non-2xx answer; a command's own error
 * comes back in its `error` field, for @upstash/redis to raise as it always does.
 */
export async function postToUpstash<T>(config: RedisConfig, path: readonly string[], body: unknown, signal: AbortSignal): Promise<T> {
  const url = path.length === 0 ? config.UPSTASH_REDIS_REST_URL : `${config.UPSTASH_REDIS_REST_URL.replace(/\/$/, "")}/${path.join("/")}`;
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${config.UPSTASH_REDIS_REST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new errors.UpstashJSONParseError(text, { cause });
  }
  if (!response.ok) {
    const message = (parsed as { error?: unknown } | null)?.error ?? `HTTP ${response.status}`;
    throw new errors.UpstashError(`${String(message)}, command was: ${JSON.stringify(body)}`);
  }
  return parsed as T;
}

/** Sends `commands` as one pipeline; one answer per command, in order. */
export async function postPipeline(config: RedisConfig, commands: unknown[][], signal: AbortSignal): Promise<UpstashResponse<unknown>[]> {
  const answers = await postToUpstash<UpstashResponse<unknown>[]>(config, ["pipeline"], commands, signal);
  if (!Array.isArray(answers) || answers.length !== commands.length) {
    throw new errors.UpstashError(`pipeline of ${commands.length} commands answered with ${Array.isArray(answers) ? answers.length : typeof answers}`);
  }
  return answers;
}
