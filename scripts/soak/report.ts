// The soak's summary table (stdout) and its figures of record (docs/RELIABILITY.md).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "../stack/local-stack.ts";
import type { PromiseResult } from "./checks.ts";

export interface RunFacts {
  date: string;
  commit: string;
  mode: string;
  loadAverage: string;
  tenants: number;
  requests: number;
  durationS: number;
  faults: string;
  statuses: string;
}

export function summaryTable(results: PromiseResult[]): string {
  const width = Math.max(...results.map((result) => result.promise.length));
  const lines = results.map((result) => `${result.ok ? "ok    " : "BROKEN"}  ${result.promise.padEnd(width)}  ${result.figure}`);
  const broken = results.filter((result) => !result.ok);
  for (const result of broken) {
    lines.push("", `${result.promise}:`, ...result.examples.slice(0, 10).map((example) => `  ${example}`));
  }
  return lines.join("\n");
}

const DOC = path.join(PROJECT_ROOT, "docs/RELIABILITY.md");
const RESULTS_HEADING = "## Runs of record";

/** Adds this run's row to docs/RELIABILITY.md (newest first), creating the section if needed. */
export async function recordRun(facts: RunFacts, results: PromiseResult[]): Promise<void> {
  const text = await readFile(DOC, "utf8").catch(() => `# Reliability\n\n${RESULTS_HEADING}\n`);
  const verdict = results.every((result) => result.ok) ? "all kept" : `BROKEN: ${results.filter((r) => !r.ok).map((r) => r.promise).join("; ")}`;
  const block = [
    `### ${facts.date} · \`${facts.commit}\` · ${facts.mode} · load average ${facts.loadAverage}`,
    "",
    `${facts.tenants} tenants, ${facts.requests} requests in ${facts.durationS} s of load; faults: ${facts.faults}. Verdict: ${verdict}.`,
    `Answers: ${facts.statuses}.`,
    "",
    "| promise | result | figure |",
    "|---|---|---|",
    ...results.map((result) => `| ${result.promise} | ${result.ok ? "kept" : "**broken**"} | ${result.figure.replace(/\|/g, "/")} |`),
    "",
  ].join("\n");
  const at = text.indexOf(RESULTS_HEADING);
  const updated = at < 0 ? `${text.trimEnd()}\n\n${RESULTS_HEADING}\n\n${block}` : `${text.slice(0, at + RESULTS_HEADING.length)}\n\n${block}${text.slice(at + RESULTS_HEADING.length).replace(/^\n+/, "\n")}`;
  await writeFile(DOC, updated);
}
