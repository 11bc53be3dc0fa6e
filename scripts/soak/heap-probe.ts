// Diagnostic companion of a soak (or any local stack) while investigating memory: every few
// seconds, the RSS of each process under the Worker's host (Node/Miniflare and workerd apart) and
// the JS heap of each of workerd's isolates through its inspector; on request, heap snapshots of the
// Worker's isolate after a full collection (the soak's own samples collect garbage too, every 5–9 s).
//
// Start the stack with WORKER_INSPECTOR_PORT=<port> in its environment (scripts/stack/worker-host.ts
// then opens the isolate's inspector), e.g.
//   WORKER_INSPECTOR_PORT=9339 npm run soak -- --quick --no-record --tenants 200 &
//   npx tsx scripts/soak/heap-probe.ts --port 9339 --seconds 300 --snapshots 60,280 --out /tmp/heap
// Bounded: it stops after --seconds. It starts and stops nothing.
import { mkdir, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { WorkerdInspector } from "../stack/isolate-inspector.ts";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    seconds: { type: "string", default: "300" },
    every: { type: "string", default: "5" },
    snapshots: { type: "string", default: "" },
    out: { type: "string", default: "/tmp/heap-probe" },
    "gc-first": { type: "boolean", default: true },
  },
});
const port = Number(args.port);
if (!Number.isInteger(port)) {
  console.error("heap-probe: --port <WORKER_INSPECTOR_PORT> is required");
  process.exit(2);
}
const snapshotsAt = args.snapshots!.split(",").filter(Boolean).map(Number);
const started = Date.now();
const until = started + Number(args.seconds) * 1000;
await mkdir(args.out!, { recursive: true });

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
  rssKb: number;
}

async function processes(): Promise<Proc[]> {
  const list: Proc[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ");
    if (!stat) continue;
    list.push({
      pid: Number(entry),
      ppid: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]),
      comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
      cmdline,
      rssKb: Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0),
    });
  }
  return list;
}

/** The process listening on `port` (workerd: its inspector). */
async function listener(all: Proc[]): Promise<Proc | undefined> {
  const table = await readFile("/proc/net/tcp", "utf8");
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const row = table.split("\n").map((line) => line.trim().split(/\s+/)).find((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === "0A");
  if (!row) return undefined;
  const socket = `socket:[${row[9]}]`;
  for (const proc of all) {
    const fds = await readdir(`/proc/${proc.pid}/fd`).catch(() => []);
    for (const fd of fds) {
      if ((await readlink(`/proc/${proc.pid}/fd/${fd}`).catch(() => "")) === socket) return proc;
    }
  }
  return undefined;
}

/** The Worker host (Miniflare) whose workerd serves this inspector port, and the processes below it. */
async function workerTree(): Promise<{ host?: Proc; workerd: Proc[] }> {
  const all = await processes();
  const inspected = await listener(all.filter((p) => p.comm === "workerd"));
  const host = all.find((p) => p.pid === inspected?.ppid);
  if (!host) return { workerd: [] };
  const below = (pid: number): Proc[] => all.filter((p) => p.ppid === pid).flatMap((p) => [p, ...below(p.pid)]);
  return { host, workerd: below(host.pid) };
}

const inspector = new WorkerdInspector(port);
const mib = (kb: number) => (kb / 1024).toFixed(0);
const heapMiB = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const pendingSnapshots = [...snapshotsAt];
const USER = "core:user:tenantry";
while (Date.now() < until) {
  const t = Math.round((Date.now() - started) / 1000);
  const tree = await workerTree();
  let heap = "heap ?";
  try {
    const parts: string[] = [];
    let used = 0;
    let total = 0;
    const isolates = await inspector.isolates();
    for (const [id, session] of isolates) {
      const usage = await session.heapUsage();
      used += usage.usedBytes;
      total += usage.totalBytes;
      if (id === USER || id === "core:entry") parts.push(`${id} ${heapMiB(usage.usedBytes)}/${heapMiB(usage.totalBytes)}`);
    }
    heap = `heap used/total MiB: all ${heapMiB(used)}/${heapMiB(total)}; ${parts.join("; ")}`;
    const user = isolates.get(USER);
    if (user && pendingSnapshots.length > 0 && t >= pendingSnapshots[0]!) {
      const at = pendingSnapshots.shift()!;
      if (args["gc-first"]) await user.collectGarbage();
      const after = await user.heapUsage();
      const file = path.join(args.out!, `t${at}.heapsnapshot`);
      await writeFile(file, await user.snapshot());
      console.log(`t=${t} s snapshot ${file} (after GC: used ${heapMiB(after.usedBytes)} MiB)`);
    }
  } catch (error) {
    heap = `heap unavailable (${String(error).slice(0, 60)})`;
  }
  const workerd = tree.workerd.map((p) => `${p.comm}:${mib(p.rssKb)}`).join(" ");
  console.log(`t=${t} s host ${tree.host ? mib(tree.host.rssKb) : "-"} MiB; ${workerd || "no workerd"}; ${heap}`);
  await new Promise((resolve) => setTimeout(resolve, Number(args.every) * 1000));
}
inspector.close();
