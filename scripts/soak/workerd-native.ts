// What workerd's resident memory is made of, from /proc (Linux): anonymous memory (malloc, V8) vs
// file-backed pages (its binary, mapped files), and what it holds open: SQLite databases (one per
// live Durable Object with SQLite storage) and sockets. Read beside each memory sample of a soak, so
// growth can be told apart from the runtime objects alive at the time.
import { readdir, readFile, readlink } from "node:fs/promises";

export interface WorkerdNative {
  pid: number;
  /** Anonymous resident memory (bytes): malloc'd native memory and the V8 heaps. */
  anon: number;
  /** Of `anon`, what transparent huge pages back (tcmalloc, workerd's allocator, asks for them). */
  hugePages: number;
  /** File-backed resident memory (bytes): the binary and mapped files. */
  file: number;
  /** SQLite database files open: one per live SQLite-backed Durable Object (and Miniflare's own). */
  sqliteFiles: number;
  sockets: number;
  threads: number;
}

/** The workerd process below the Worker's host (`hostPid`), if any. */
export async function workerdBelow(hostPid: number): Promise<number | undefined> {
  const queue = [hostPid];
  const children = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (Number.isFinite(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      const comm = (await readFile(`/proc/${child}/comm`, "utf8").catch(() => "")).trim();
      if (comm === "workerd") return child;
      queue.push(child);
    }
  }
  return undefined;
}

export async function workerdNative(pid: number): Promise<WorkerdNative | undefined> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  if (!rollup) return undefined;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) * 1024;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  let sqliteFiles = 0;
  let sockets = 0;
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    if (target.endsWith(".sqlite")) sqliteFiles++;
    else if (target.startsWith("socket:")) sockets++;
  }
  return {
    pid,
    anon: kb("Anonymous"),
    hugePages: kb("AnonHugePages"),
    file: kb("Rss") - kb("Anonymous"),
    sqliteFiles,
    sockets,
    threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
  };
}
