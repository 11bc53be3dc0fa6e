// The data plane's watch for stuck requests (src/edge/slow-requests.ts): a request unanswered for
// SLOW_REQUEST_LOG_MS is logged, once, with its step, when a later request starts.
import { afterEach, describe, expect, it, vi } from "vitest";
import { SLOW_REQUEST_LOG_MS, SlowRequestWatch } from "../../src/edge/slow-requests.ts";

const request = (requestId: string, startedAt: number, step = "handler") => ({ requestId, startedAt, path: "/v1/maps/m/k", step });

function loggedLines(spy: { mock: { calls: unknown[][] } }): Array<Record<string, unknown>> {
  return spy.mock.calls.map((call: unknown[]) => JSON.parse(String(call[0])) as Record<string, unknown>);
}

describe("slow request watch", () => {
  afterEach(() => vi.restoreAllMocks());

  it("logs a request unanswered for the limit once, with the step it waits in", () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const watch = new SlowRequestWatch();
    const stuck = request("req_stuck", 1_000, "admission");
    watch.begin(stuck);
    watch.begin(request("req_early", 1_000 + SLOW_REQUEST_LOG_MS - 1))();
    expect(errors).not.toHaveBeenCalled();
    watch.begin(request("req_late", 1_000 + SLOW_REQUEST_LOG_MS))();
    watch.begin(request("req_later", 1_000 + SLOW_REQUEST_LOG_MS + 5))();
    const lines = loggedLines(errors);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ message: "request still unanswered", requestId: "req_stuck", step: "admission", waitedMs: SLOW_REQUEST_LOG_MS });
  });

  it("forgets a request once answered, and looks past one logged already", () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const watch = new SlowRequestWatch();
    const answered = watch.begin(request("req_answered", 0));
    watch.begin(request("req_stuck", 5));
    answered();
    watch.begin(request("req_next", 5 + SLOW_REQUEST_LOG_MS))();
    watch.begin(request("req_stuck_too", 6 + SLOW_REQUEST_LOG_MS));
    watch.begin(request("req_last", 6 + 2 * SLOW_REQUEST_LOG_MS))();
    expect(loggedLines(errors).map((line) => line.requestId)).toEqual(["req_stuck", "req_stuck_too"]);
  });
});
