import { describe, expect, it } from "vitest";
import { negotiateFormat, render, type MetricFamily } from "../../src/metrics/exposition.ts";

const families: MetricFamily[] = [
  { name: "x_requests", type: "counter", help: "Requests.\nSecond line", samples: [{ labels: { plan: 'p"1\\' }, value: 3 }] },
  { name: "x_lag_seconds", type: "gauge", help: "Lag.", samples: [{ value: 1.5 }] },
  { name: "x_took_seconds", type: "histogram", help: "Took.", samples: [{ buckets: [{ le: 0.5, count: 1 }, { le: 2, count: 3 }], sum: 2.25, count: 4 }] },
];

describe("metrics exposition", () => {
  it("writes the classic text format: _total counters named in HELP/TYPE, escaped labels, histogram series", () => {
    expect(render(families, "prometheus")).toBe(
      [
        "# HELP x_requests_total Requests.\\nSecond line",
        "# TYPE x_requests_total counter",
        'x_requests_total{plan="p\\"1\\\\"} 3',
        "# HELP x_lag_seconds Lag.",
        "# TYPE x_lag_seconds gauge",
        "x_lag_seconds 1.5",
        "# HELP x_took_seconds Took.",
        "# TYPE x_took_seconds histogram",
        'x_took_seconds_bucket{le="0.5"} 1',
        'x_took_seconds_bucket{le="2"} 3',
        'x_took_seconds_bucket{le="+Inf"} 4',
        "x_took_seconds_sum 2.25",
        "x_took_seconds_count 4",
        "",
      ].join("\n"),
    );
  });

  it("writes OpenMetrics: counter families without _total, canonical le values, # EOF last", () => {
    const text = render(families, "openmetrics");
    expect(text).toContain("# TYPE x_requests counter\n");
    expect(text).toContain('x_requests_total{plan="p\\"1\\\\"} 3\n');
    expect(text).toContain('x_took_seconds_bucket{le="2.0"} 3\n');
    expect(text.endsWith("# EOF\n")).toBe(true);
  });

  it("chooses OpenMetrics only when Accept ranks it at least as high as text/plain", () => {
    expect(negotiateFormat(undefined)).toBe("prometheus");
    expect(negotiateFormat("*/*")).toBe("prometheus");
    expect(negotiateFormat("text/plain;version=0.0.4")).toBe("prometheus");
    expect(
      negotiateFormat("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
    ).toBe("openmetrics");
    expect(negotiateFormat("text/plain;q=1, application/openmetrics-text;q=0.5")).toBe("prometheus");
    expect(negotiateFormat("application/openmetrics-text;q=0")).toBe("prometheus");
  });
});
