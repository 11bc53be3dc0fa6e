import { log } from "../lib/log.ts";

/** A request still unanswered after this long is logged with the step it is waiting in. */
export const SLOW_REQUEST_LOG_MS = 10_000;

export interface InFlightRequest {
  startedAt: number;
  requestId: string;
  path: string;
  /** Where the request is now; the log names it. */
  step: string;
  logged?: boolean;
}

/**
 * The data-plane requests an isolate is answering, oldest first. Each request, as it starts, looks
 * at the oldest and logs those unanswered for SLOW_REQUEST_LOG_MS (once each): a request stuck on
 * a dependency shows up in the logs with its step while others keep coming. A timer per request did
 * the same for lone requests too, at 28 µs of a read's CPU (docs/BENCHMARKS.md, session 12).
 */
export class SlowRequestWatch {
  private readonly inFlight = new Set<InFlightRequest>();

  /** Watches `request` until the returned function is called. */
  begin(request: InFlightRequest): () => void {
    this.logOverdue(request.startedAt);
    this.inFlight.add(request);
    return () => this.inFlight.delete(request);
  }

  private logOverdue(now: number): void {
    for (const request of this.inFlight) {
      if (now - request.startedAt < SLOW_REQUEST_LOG_MS) return;
      if (request.logged) continue;
      request.logged = true;
      log.error("request still unanswered", { requestId: request.requestId, step: request.step, path: request.path, waitedMs: now - request.startedAt });
    }
  }
}

/** Per isolate. */
export const slowRequests = new SlowRequestWatch();
