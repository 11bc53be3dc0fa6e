// One HTTP attempt of one delivery: Standard Webhooks headers, a deadline, and nothing else.
import { signatureHeader } from "./secrets.ts";

export interface AttemptResult {
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
}

const USER_AGENT = "Tenantry-Webhooks/1";

/** POSTs `body`; a 2xx answered within `timeoutMs` is delivered, anything else is a failure. */
export async function postEvent(
  url: string,
  messageId: string,
  body: string,
  secrets: string[],
  timeoutMs: number,
  now = Date.now(),
): Promise<AttemptResult> {
  const timestamp = Math.floor(now / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(secrets, messageId, timestamp, body),
  };
  try {
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    // The answer's body is not ours to read.
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, responseStatus: response.status, error: ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") return { ok: false, responseStatus: null, error: `No answer within ${timeoutMs} ms` };
    return { ok: false, responseStatus: null, error: `Request failed: ${String((error as Error)?.message ?? error).slice(0, 300)}` };
  }
}
