// `npm run capacity -- --rps 50000 --tenants 10000 --mix read=0.8,write=0.15,realtime=0.05`:
// the command line, checked. Bad input throws a UsageError; main.ts prints it and exits 2.
import { MIX_KINDS } from "./counts.ts";
import { checkMix, type Mix } from "./model.ts";

export class UsageError extends Error {}

export const USAGE = `usage: npm run capacity -- --rps <req/s> --tenants <n> --mix <kind=share,…> [options]
  --rps <n>            requests per second of the whole workload
  --tenants <n>        how many tenants share it (the average tenant's rate is rps / tenants)
  --mix <k=s,…>        shares of request kinds, summing to 1; kinds: ${MIX_KINDS.join(", ")}
  --shards <n>         RUNTIME_SHARDS (default 16)
  --results <file>     a bench results file (default: the newest bench/results/*.json with counts)
  --rtt-ms <n>         Worker ↔ Neon round trip, ms (default 25)
  --neon-cu <n>        largest Neon compute, CU (default 16)
  --statements-per-cu <n>  statements/s one CU executes (default 2500; an assumption, see docs/CAPACITY.md)`;

export interface Options {
  rps: number;
  tenants: number;
  mix: Mix;
  shards: number;
  results?: string;
  rttMs?: number;
  neonCu?: number;
  statementsPerCu?: number;
}

function positive(flag: string, text: string | undefined, integer = false): number {
  const value = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} needs a ${integer ? "whole " : ""}number > 0, not ${JSON.stringify(text ?? "")}`);
  }
  return value;
}

export function parseMix(text: string): Mix {
  const mix: Record<string, number> = {};
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [kind, share, extra] = part.split("=");
    if (!kind || share === undefined || extra !== undefined) throw new UsageError(`--mix: "${part}" is not kind=share`);
    if (kind in mix) throw new UsageError(`--mix: ${kind} is given twice`);
    const value = Number(share);
    if (share.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--mix: the share of ${kind} is not a number: ${JSON.stringify(share)}`);
    mix[kind] = value;
  }
  try {
    checkMix(mix);
  } catch (error) {
    throw new UsageError(`--mix: ${(error as Error).message}`);
  }
  return mix as Mix;
}

export function parseArgs(argv: string[]): Options {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") throw new UsageError(USAGE);
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!["--rps", "--tenants", "--mix", "--shards", "--results", "--rtt-ms", "--neon-cu", "--statements-per-cu"].includes(flag)) {
      throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    values.set(flag, value);
  }
  for (const required of ["--rps", "--tenants", "--mix"]) if (!values.has(required)) throw new UsageError(`${required} is required\n${USAGE}`);
  const optional = (flag: string, integer = false) => (values.has(flag) ? positive(flag, values.get(flag), integer) : undefined);
  return {
    rps: positive("--rps", values.get("--rps")),
    tenants: positive("--tenants", values.get("--tenants"), true),
    mix: parseMix(values.get("--mix")!),
    shards: optional("--shards", true) ?? 16,
    ...(values.has("--results") ? { results: values.get("--results")! } : {}),
    ...(values.has("--rtt-ms") ? { rttMs: optional("--rtt-ms") } : {}),
    ...(values.has("--neon-cu") ? { neonCu: optional("--neon-cu") } : {}),
    ...(values.has("--statements-per-cu") ? { statementsPerCu: optional("--statements-per-cu") } : {}),
  };
}
