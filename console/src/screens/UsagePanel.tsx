import { useMemo, useState } from "preact/hooks";
import type { Usage } from "../types.ts";
import { useAction, useLoad } from "../ui/action.ts";
import { Chart } from "../ui/chart.tsx";
import { Button, ErrorBox, formatNumber, Loading } from "../ui/components.tsx";
import type { TenantSource } from "./source.ts";

type Granularity = "minute" | "hour" | "day";
/** The window each granularity shows, ending now. */
const WINDOW_MS: Record<Granularity, number> = { minute: 60 * 60_000, hour: 24 * 3_600_000, day: 30 * 86_400_000 };
const WINDOW_LABEL: Record<Granularity, string> = { minute: "last hour, by minute", hour: "last 24 hours, by hour", day: "last 30 days, by day" };
const TOTAL_FIELDS: (keyof Usage)[] = ["requests", "rejected", "readOps", "writeOps", "bytesIn", "bytesOut", "connectionSeconds", "peakConnections", "messages"];

export function UsagePanel({ source }: { source: TenantSource }) {
  const [granularity, setGranularity] = useState<Granularity>("minute");
  const report = useLoad(() => {
    const to = new Date(Date.now() + 60_000);
    return source.usage({ from: new Date(to.getTime() - WINDOW_MS[granularity]).toISOString(), to: to.toISOString(), granularity });
  }, [granularity, source]);
  const flush = useAction(async () => {
    await source.flushUsage?.();
    report.reload();
  });
  const charts = useMemo(() => {
    const series = report.data?.series ?? [];
    const times = series.map((point) => Date.parse(point.start) / 1000);
    const pick = (field: keyof Usage) => series.map((point) => point[field] as number);
    return {
      times,
      requests: [
        { label: "requests", values: pick("requests"), color: "#2563eb" },
        { label: "rejected", values: pick("rejected"), color: "#dc2626" },
      ],
      ops: [
        { label: "reads", values: pick("readOps"), color: "#059669" },
        { label: "writes", values: pick("writeOps"), color: "#d97706" },
      ],
      bytes: [
        { label: "bytes in", values: pick("bytesIn"), color: "#7c3aed" },
        { label: "bytes out", values: pick("bytesOut"), color: "#0891b2" },
      ],
    };
  }, [report.data]);
  return (
    <section class="usage" aria-labelledby="usage-title">
      <div class="title-row">
        <h2 id="usage-title">Usage</h2>
        <div class="inline">
          <label>
            Granularity{" "}
            <select aria-label="Granularity" value={granularity} onChange={(e) => setGranularity(e.currentTarget.value as Granularity)}>
              <option value="minute">minute</option>
              <option value="hour">hour</option>
              <option value="day">day</option>
            </select>
          </label>
          {source.flushUsage ? (
            <Button busy={flush.busy} onClick={() => void flush.run()}>
              Flush and refresh
            </Button>
          ) : (
            <Button onClick={report.reload}>Refresh</Button>
          )}
        </div>
      </div>
      <p class="muted">{WINDOW_LABEL[granularity]} (UTC buckets)</p>
      <ErrorBox error={report.error ?? flush.error} />
      {report.loading && !report.data && <Loading what="usage" />}
      {report.data && (
        <>
          <dl class="totals" data-testid="usage-totals">
            {TOTAL_FIELDS.map((field) => (
              <div key={field}>
                <dt>{field}</dt>
                <dd data-field={field}>{formatNumber(report.data!.totals[field] as number)}</dd>
              </div>
            ))}
          </dl>
          <div class="charts">
            <Chart title="Requests" times={charts.times} series={charts.requests} />
            <Chart title="Operations" times={charts.times} series={charts.ops} />
            <Chart title="Bytes" times={charts.times} series={charts.bytes} />
          </div>
        </>
      )}
    </section>
  );
}
