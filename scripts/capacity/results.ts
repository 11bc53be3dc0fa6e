// Finds the counts the model runs on: the newest bench results file whose `counts` scenario passed.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { checkCounts, MissingCountError, type CountsReport } from "./counts.ts";

export interface LoadedCounts {
  file: string;
  report: CountsReport;
  /** Commit and load average of the run, for the reader. */
  code?: unknown;
  loadAverage?: number[];
}

interface ResultsFile {
  code?: unknown;
  conditions?: { before?: { loadAverage?: number[] } };
  scenarios?: Array<{ id: string; status: string; details?: unknown }>;
}

export function countsFromFile(file: string): LoadedCounts {
  let parsed: ResultsFile;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as ResultsFile;
  } catch (error) {
    throw new MissingCountError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const scenario = parsed.scenarios?.find((s) => s.id === "counts");
  if (!scenario) throw new MissingCountError(`${file} has no counts scenario (run \`npm run bench -- --quick --only counts\`)`);
  if (scenario.status !== "ok") throw new MissingCountError(`${file}: the counts scenario ${scenario.status}`);
  return { file, report: checkCounts(scenario.details), code: parsed.code, ...(parsed.conditions?.before?.loadAverage ? { loadAverage: parsed.conditions.before.loadAverage } : {}) };
}

/** The newest `<timestamp>*.json` in `dir` with a passed counts scenario. */
export function latestCounts(dir: string): LoadedCounts {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => /^\d{4}-.*\.json$/.test(name)).sort().reverse();
  } catch {
    files = [];
  }
  for (const name of files) {
    const text = readFileSync(path.join(dir, name), "utf8");
    if (!text.includes('"id": "counts"')) continue;
    return countsFromFile(path.join(dir, name));
  }
  throw new MissingCountError(`no bench results with counts in ${dir}: run \`npm run bench -- --quick --only counts\` first`);
}
