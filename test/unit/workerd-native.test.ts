import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { workerdBelow, workerdNative } from "../../scripts/soak/workerd-native.ts";

// Reads /proc (Linux), as the soak does for workerd; checked here on this test's own process.
describe("soak: what a process's memory is made of, from /proc", () => {
  it("splits resident memory into anonymous and file-backed, and counts open SQLite files and sockets", async () => {
    const own = await workerdNative(process.pid);
    expect(own).toBeDefined();
    expect(own!.anon).toBeGreaterThan(1 << 20);
    expect(own!.file).toBeGreaterThan(1 << 20);
    expect(own!.hugePages).toBeLessThanOrEqual(own!.anon);
    expect(own!.sqliteFiles).toBe(0);
    expect(own!.threads).toBeGreaterThan(0);
  });

  it("is undefined for a process that is gone, and finds no workerd below a process that has none", async () => {
    const child = spawn("sleep", ["5"]);
    await new Promise((resolve) => child.once("spawn", resolve));
    expect(await workerdBelow(process.pid)).toBeUndefined();
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(await workerdNative(child.pid!)).toBeUndefined();
  });
});
