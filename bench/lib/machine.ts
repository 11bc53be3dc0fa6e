// The machine and conditions a run happened under, recorded with every result.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "../../scripts/stack/local-stack.ts";

function packageVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

function command(file: string, args: string[]): string | null {
  try {
    return execFileSync(file, args, { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** Other processes competing for the CPUs: vitest runs of other engineers, and the load average. */
export function conditions() {
  const ps = command("ps", ["-eo", "args"]) ?? "";
  const lines = ps.split("\n");
  return {
    at: new Date().toISOString(),
    loadAverage: os.loadavg().map((value) => Number(value.toFixed(2))),
    vitestProcesses: lines.filter((line) => /vitest/.test(line) && !/\bps\b/.test(line)).length,
    workerdProcesses: lines.filter((line) => /workerd serve/.test(line)).length,
    postgresServers: lines.filter((line) => /bin\/postgres /.test(line)).length,
  };
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    nproc: Number(command("nproc", [])) || cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    workerd: command(path.join(PROJECT_ROOT, "node_modules/.bin/workerd"), ["--version"]) ?? packageVersion("@cloudflare/workerd-linux-64"),
    wrangler: packageVersion("wrangler"),
    autocannon: packageVersion("autocannon"),
    postgres: command("sh", ["-c", "ls /usr/lib/postgresql | sort -n | tail -1"]),
    redis: command("redis-server", ["--version"])?.match(/v=([\d.]+)/)?.[1] ?? null,
  };
}

/** The code that was measured: commit and how many files differed from it. */
export function codeVersion() {
  const status = command("git", ["-C", PROJECT_ROOT, "status", "--porcelain"]);
  return {
    commit: command("git", ["-C", PROJECT_ROOT, "rev-parse", "--short", "HEAD"]),
    changedFiles: status === null ? null : status.split("\n").filter(Boolean).length,
  };
}
