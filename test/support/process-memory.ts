import { readdir, readFile } from "node:fs/promises";

/** Resident memory (bytes) of `pid` and every process below it, from /proc (Linux). */
export async function treeRss(pid: number): Promise<number> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // The ppid is the second field after the parenthesised command name.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isFinite(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.pop()!;
    const status = await readFile(`/proc/${current}/status`, "utf8").catch(() => "");
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    total += kb * 1024;
    queue.push(...(parents.get(current) ?? []));
  }
  return total;
}

/** Resident memory (bytes) of `pid` alone, from /proc (Linux); 0 when it is gone. */
export async function processRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}
