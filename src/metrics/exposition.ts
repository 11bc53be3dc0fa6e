// Prometheus text format 0.0.4 and OpenMetrics 1.0 from one description of the metric families.

export type Labels = Record<string, string>;

export interface Sample {
  labels?: Labels;
  value: number;
}

export interface HistogramSample {
  labels?: Labels;
  /** Upper bounds in ascending order with the cumulative count at each; +Inf is added. */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

interface FamilyBase {
  /** Without the `_total` suffix of a counter's samples. */
  name: string;
  help: string;
}

export type MetricFamily =
  | (FamilyBase & { type: "counter" | "gauge"; samples: Sample[] })
  | (FamilyBase & { type: "histogram"; samples: HistogramSample[] });

export type Format = "prometheus" | "openmetrics";

export const CONTENT_TYPE: Record<Format, string> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** OpenMetrics when the Accept header ranks it at least as high as the classic text format (as Prometheus sends it). */
export function negotiateFormat(accept: string | undefined): Format {
  if (!accept) return "prometheus";
  let openmetrics = 0;
  let text = 0;
  for (const part of accept.split(",")) {
    const [type = "", ...params] = part.trim().toLowerCase().split(";").map((piece) => piece.trim());
    const qParam = params.find((param) => param.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (type === "application/openmetrics-text") openmetrics = Math.max(openmetrics, q);
    else if (type === "text/plain") text = Math.max(text, q);
  }
  return openmetrics > 0 && openmetrics >= text ? "openmetrics" : "prometheus";
}

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatNumber(value: number, format: Format): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  // OpenMetrics' canonical `le` and float values keep a decimal point; integers stay integers otherwise.
  return format === "openmetrics" && Number.isInteger(value) && Math.abs(value) < 1e15 ? `${value}.0` : String(value);
}

function formatLabels(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push(extra);
  return pairs.length === 0 ? "" : `{${pairs.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")}}`;
}

/** Counter and gauge values: integers print as integers in both formats (valid for each). */
const sampleValue = (value: number) => (Number.isInteger(value) ? String(value) : formatNumber(value, "prometheus"));

export function render(families: MetricFamily[], format: Format): string {
  const lines: string[] = [];
  for (const family of families) {
    // In OpenMetrics a counter family is named without `_total`; in the classic format its samples' name is used.
    const metadataName = family.type === "counter" && format === "prometheus" ? `${family.name}_total` : family.name;
    lines.push(`# HELP ${metadataName} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${metadataName} ${family.type}`);
    if (family.type === "histogram") {
      for (const sample of family.samples) {
        for (const bucket of sample.buckets) {
          lines.push(`${family.name}_bucket${formatLabels(sample.labels, ["le", formatNumber(bucket.le, format)])} ${bucket.count}`);
        }
        lines.push(`${family.name}_bucket${formatLabels(sample.labels, ["le", "+Inf"])} ${sample.count}`);
        lines.push(`${family.name}_sum${formatLabels(sample.labels)} ${sampleValue(sample.sum)}`);
        lines.push(`${family.name}_count${formatLabels(sample.labels)} ${sample.count}`);
      }
      continue;
    }
    const sampleName = family.type === "counter" ? `${family.name}_total` : family.name;
    for (const sample of family.samples) lines.push(`${sampleName}${formatLabels(sample.labels)} ${sampleValue(sample.value)}`);
  }
  if (format === "openmetrics") lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}
