import { describe, expect, it } from "vitest";
import { retryingFetch } from "../../sdk/src/retry.ts";

/** A fetch that answers from a script and records what it was sent. */
function scripted(...answers: Array<() => Response>) {
  const seen: Array<{ method: string; body: string; at: number }> = [];
  const fetchImpl = (async (request: Request) => {
    seen.push({ method: request.method, body: await request.text(), at: Date.now() });
    return answers[Math.min(seen.length - 1, answers.length - 1)]!();
  }) as typeof fetch;
  return { fetchImpl, seen };
}

const problem = (status: number, retryAfterMs: number) => () =>
  new Response(JSON.stringify({ status, code: status === 429 ? "rate_limited" : "unavailable", retryAfterMs }), {
    status,
    headers: { "Content-Type": "application/problem+json", "Retry-After": String(Math.ceil(retryAfterMs / 1000)) },
  });
const ok = () => new Response("{}", { status: 200 });

describe("SDK retries", () => {
  it("retries a GET on 429 and 503 after the wait the server names, with the same request each time", async () => {
    const { fetchImpl, seen } = scripted(problem(429, 120), problem(503, 80), ok);
    const response = await retryingFetch(fetchImpl)(new Request("http://127.0.0.1/v1/me"));
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(3);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(115);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(75);
  });

  it("retries a PUT with its body intact", async () => {
    const { fetchImpl, seen } = scripted(problem(503, 10), ok);
    await retryingFetch(fetchImpl)(new Request("http://127.0.0.1/v1/maps/a/b", { method: "PUT", body: '{"n":1}' }));
    expect(seen.map((s) => s.body)).toEqual(['{"n":1}', '{"n":1}']);
  });

  it("does not retry a POST without an Idempotency-Key, and does with one", async () => {
    const plain = scripted(problem(503, 10), ok);
    expect((await retryingFetch(plain.fetchImpl)(new Request("http://127.0.0.1/v1/tenants", { method: "POST", body: "{}" }))).status).toBe(503);
    expect(plain.seen).toHaveLength(1);

    const keyed = scripted(problem(503, 10), ok);
    const request = new Request("http://127.0.0.1/v1/tenants", { method: "POST", body: "{}", headers: { "Idempotency-Key": "k1" } });
    expect((await retryingFetch(keyed.fetchImpl)(request)).status).toBe(200);
    expect(keyed.seen).toHaveLength(2);
  });

  it("gives up after the configured attempts and returns the last answer", async () => {
    const { fetchImpl, seen } = scripted(problem(429, 5));
    const response = await retryingFetch(fetchImpl, { attempts: 3 })(new Request("http://127.0.0.1/v1/me"));
    expect(response.status).toBe(429);
    expect(seen).toHaveLength(3);
  });

  it("never retries other failures", async () => {
    const { fetchImpl, seen } = scripted(() => new Response("{}", { status: 500 }));
    expect((await retryingFetch(fetchImpl)(new Request("http://127.0.0.1/v1/me"))).status).toBe(500);
    expect(seen).toHaveLength(1);
  });
});
