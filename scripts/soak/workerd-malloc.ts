// Diagnostics only (SOAK_MALLOC_STATS=1): the statistics of workerd's own allocator. workerd is
// built with Google's tcmalloc, which keeps memory the program has freed in its caches and, as
// built into workerd, never hands it back to the system ("Bytes released to OS" stays 0). Its
// `malloc_stats()` tells what the program uses from what the allocator merely keeps. No API
// reaches it from outside, so this attaches gdb for a moment (it pauses workerd ~0.5 s, which is
// why the soak does not do it unless asked) and redirects workerd's stderr to a file meanwhile.
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface AllocatorStats {
  /** Bytes the program has allocated and not freed. */
  inUse: number;
  /** Bytes the allocator holds from the system (in use, free lists, metadata): its resident footprint. */
  footprint: number;
  /** Bytes given back to the system so far. */
  released: number;
}

export async function workerdAllocatorStats(pid: number): Promise<AllocatorStats | undefined> {
  const out = path.join(os.tmpdir(), `workerd-malloc-${pid}-${Date.now()}.txt`);
  const commands = [
    "set $saved = ((int(*)(int))dup)(2)",
    `set $f = ((int(*)(const char*,int,int))open)("${out}", 01101, 0644)`,
    "call ((int(*)(int,int))dup2)($f, 2)",
    "call ((void(*)(void))malloc_stats)()",
    "call ((int(*)(int,int))dup2)($saved, 2)",
    "call ((int(*)(int))close)($f)",
    "call ((int(*)(int))close)($saved)",
  ];
  const ran = await new Promise<boolean>((resolve) =>
    execFile("gdb", ["-p", String(pid), "-batch", "-nx", ...commands.flatMap((c) => ["-ex", c])], { timeout: 30_000 }, (error) => resolve(!error)),
  );
  const text = await readFile(out, "utf8").catch(() => "");
  await rm(out, { force: true });
  if (!ran || !text) return undefined;
  const bytes = (label: string) => Number(new RegExp(`MALLOC:[\\s=+]+(\\d+) \\([^)]*\\) ${label}`).exec(text)?.[1] ?? Number.NaN);
  return { inUse: bytes("Bytes in use by application"), footprint: bytes("Actual memory used \\(physical \\+ swap\\)"), released: bytes("Bytes released to OS") };
}
