// Open-loop load at a fixed rate: request i is sent at start + i/rate whether or not earlier ones
// have been answered, and its latency counts from that scheduled time (so a stalled server cannot
// hide behind a waiting client: no coordinated omission). Used where the rate itself is the point
// (noisy neighbour). autocannon's own rate mode sends each second's quota in a burst at the start
// of the second, which measures bursts, not a steady tenant.
import http from "node:http";
import { cpuDelta, cpuSnapshot } from "./cpu.ts";
import { loadResult, type LoadResult } from "./load.ts";

export interface PacedSpec {
  label: string;
  path: string;
  headers?: Record<string, string>;
  /** Requests per second. */
  rate: number;
  durationS: number;
  /** Requests allowed in flight at once; a send beyond it is counted as an error, not queued. */
  maxInFlight?: number;
  /** Keeps each 2xx response's latency with its Server-Timing header (diagnostics: which phase made the tail). */
  keepServerTiming?: boolean;
  /**
   * Ms after the run's start of the first send (default 0). Independent tenants do not share a
   * clock: loads started together at the same rate would otherwise all send in the same instant.
   */
  phaseMs?: number;
}

export interface TimedResponse {
  ms: number;
  serverTiming: string;
  /** When it was scheduled to be sent (ms since the epoch). */
  sentAt: number;
  /** How late the load generator issued it (its own event loop's delay, counted in `ms` too). */
  lateMs: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

const running = new Set<() => void>();
export function stopAllPaced(): void {
  for (const stop of running) stop();
}

export function runPaced(baseUrl: string, spec: PacedSpec): Promise<LoadResult & { timed?: TimedResponse[] }> {
  const url = new URL(spec.path, baseUrl);
  if (url.hostname !== "127.0.0.1") throw new Error(`benchmarks talk to 127.0.0.1 only, not ${url.hostname}`);
  const maxInFlight = spec.maxInFlight ?? 256;
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const total = Math.max(1, Math.round(spec.rate * spec.durationS));
  const interval = 1000 / spec.rate;
  const all: number[] = [];
  const ok: number[] = [];
  const timed: TimedResponse[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let inFlight = 0;
  let settled = 0;
  let sent = 0;
  let stopped = false;
  const cpuBefore = cpuSnapshot();
  const start = performance.now() + 10 + (spec.phaseMs ?? 0);

  return new Promise<LoadResult & { timed?: TimedResponse[] }>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      clearTimeout(hardStop);
      running.delete(finish);
      agent.destroy();
      const durationS = (performance.now() - start) / 1000;
      const result = loadResult({ label: spec.label, durationS, all, ok, errors, timeouts, statusCodes, cpu: cpuDelta(cpuBefore, cpuSnapshot()) });
      resolve(spec.keepServerTiming ? { ...result, timed } : result);
    };
    running.add(finish);
    const hardStop = setTimeout(finish, (spec.durationS + REQUEST_TIMEOUT_MS / 1000 + 5) * 1000 + (spec.phaseMs ?? 0));
    const settle = () => {
      if (++settled === total) finish();
    };

    const send = (scheduled: number) => {
      if (inFlight >= maxInFlight) {
        errors++;
        settle();
        return;
      }
      inFlight++;
      const lateMs = performance.now() - scheduled;
      let done = false;
      const end = (status: number | null, timedOut = false, serverTiming = "") => {
        if (done) return;
        done = true;
        inFlight--;
        if (status === null) {
          errors++;
          if (timedOut) timeouts++;
        } else {
          const ms = performance.now() - scheduled;
          all.push(ms);
          if (status >= 200 && status < 300) {
            ok.push(ms);
            if (spec.keepServerTiming) timed.push({ ms, serverTiming, sentAt: performance.timeOrigin + scheduled, lateMs });
          }
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        }
        settle();
      };
      const request = http.request(
        { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: "GET", headers: spec.headers ?? {}, timeout: REQUEST_TIMEOUT_MS },
        (response) => {
          response.resume();
          response.on("end", () => end(response.statusCode ?? 0, false, String(response.headers["server-timing"] ?? "")));
          response.on("error", () => end(null));
        },
      );
      request.on("timeout", () => {
        request.destroy();
        end(null, true);
      });
      request.on("error", () => end(null));
      request.end();
    };

    const tick = () => {
      if (stopped) return;
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        send(start + sent * interval);
        sent++;
      }
      if (sent < total) timer = setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    timer = setTimeout(tick, start - performance.now());
  });
}
