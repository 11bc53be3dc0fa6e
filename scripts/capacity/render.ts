// Text tables of the model for the terminal (and for docs/CAPACITY.md, which quotes them).
import { KINDS, type Kind } from "./counts.ts";
import { LINE_LABELS, total, type Ceiling, type Lines, type MonthlyCost } from "./model.ts";
import { LIMITS, PRICES } from "./prices.ts";

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `-${"-".repeat(w)}-` : `-${"-".repeat(w)}:`)).join("|")}|`, ...rows.map(line)].join("\n");
}

export const usd = (value: number) => (value >= 100 ? `$${value.toFixed(0)}` : value >= 1 ? `$${value.toFixed(2)}` : value >= 0.01 ? `$${value.toFixed(3)}` : `$${value.toPrecision(2)}`);
export const num = (value: number) => (value >= 1000 ? Math.round(value).toLocaleString("en-US") : Number(value.toPrecision(3)).toString());

const UNIT: Record<Kind, string> = {
  read: "M requests",
  write: "M requests",
  list: "M requests",
  refused: "M requests",
  realtime: "M messages",
  gateway: "M requests",
  provision_shared: "M tenants",
  provision_dedicated: "M tenants",
  warm_hour: "M tenant-hours",
};

export function costTable(perMillion: Record<Kind, Lines>): string {
  const keys = Object.keys(LINE_LABELS) as Array<keyof Lines>;
  const rows = (Object.keys(KINDS) as Kind[]).map((kind) => [`${kind} (per ${UNIT[kind]})`, ...keys.map((k) => usd(perMillion[kind][k])), usd(total(perMillion[kind]))]);
  return table(["kind", ...keys.map((k) => LINE_LABELS[k]), "total"], rows);
}

export function ceilingTable(list: Ceiling[]): string {
  return table(
    ["limit", "ceiling (req/s)", "used", "tenants that fit"],
    list.map((c) => [c.label, num(c.rps), `${(c.utilization * 100).toFixed(0)}%`, num(c.tenants)]),
  );
}

export function monthlyTable(cost: MonthlyCost, maxCu = Infinity): string {
  const keys = Object.keys(LINE_LABELS) as Array<keyof Lines>;
  return table(
    ["line", "USD/month"],
    [
      ["Workers Paid base", usd(cost.base)],
      ...keys.map((k) => [k === "postgres" ? `${LINE_LABELS[k]} (${cost.neonCu} CU always on${cost.neonCu > maxCu ? `: more than one ${maxCu} CU compute` : ""})` : LINE_LABELS[k], usd(cost.lines[k])]),
      ["total", usd(cost.total)],
    ],
  );
}

export function citations(): string {
  const rows = [...Object.entries(PRICES), ...Object.entries(LIMITS)].map(([name, c]) => [name, `${c.value} ${c.unit}`, `${c.assumption ? "ASSUMPTION — " : ""}${c.source}`, c.read]);
  return table(["figure", "value", "source", "read"], rows);
}
