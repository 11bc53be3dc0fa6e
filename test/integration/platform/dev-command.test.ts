// The README's first command, `npm run dev`, as a user runs it: it prints the base URL (the origin,
// which the contract's /v1 paths follow) and the admin token once /v1/health answers, and a SIGTERM
// to npm's own pid (`npm run dev & … kill $!`) stops every process it started.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/stack/ports.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const START_MS = 150_000;
const STOP_MS = 20_000;

let dev: ChildProcess | undefined;
let stateDir: string | undefined;

/** Whether any process of the group `npm run dev` leads (npm, its shell, the stack) is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line names the state folder: PostgreSQL, PgBouncer, Redis, the Worker (in groups of their own). */
function processesOf(folder: string): string {
  try {
    return execFileSync("pgrep", ["-af", folder], { encoding: "utf8" });
  } catch {
    return ""; // pgrep exits 1 when none matches
  }
}

afterAll(async () => {
  // Only when the test failed: the stack is asked to stop as Ctrl-C would (its own clean-up), then
  // whatever is left is killed.
  if (dev?.pid !== undefined && groupAlive(dev.pid)) {
    process.kill(-dev.pid, "SIGTERM");
    for (let waited = 0; groupAlive(dev.pid) && waited < STOP_MS; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    if (groupAlive(dev.pid)) process.kill(-dev.pid, "SIGKILL");
  }
  for (const line of stateDir ? processesOf(stateDir).split("\n") : []) {
    const pid = Number(line.split(" ")[0]);
    if (pid > 0) process.kill(pid, "SIGKILL");
  }
  if (stateDir) await rm(stateDir, { recursive: true, force: true }).catch(() => {});
});

describe("npm run dev", () => {
  it("prints the base URL and admin token once healthy, and stops everything on SIGTERM to npm", async () => {
    const port = await freePort();
    // Its own process group, so the test can tell when every process of it is gone.
    dev = spawn("npm", ["run", "dev"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PORT: String(port), ADMIN_TOKEN: "dev-command-test" } });
    let output = "";
    dev.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + START_MS;
    while (!output.includes("Admin token:")) {
      if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`npm run dev did not get ready:\n${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    stateDir = /state in (\S+)/.exec(output)?.[1];
    expect(stateDir).toBeTruthy();
    expect(processesOf(stateDir!)).not.toBe("");
    const origin = `http://127.0.0.1:${port}`;
    expect(output).toMatch(new RegExp(`Base URL: +${origin.replaceAll(".", "\\.")} `));
    expect(output).toContain("Admin token:  dev-command-test");
    expect((await fetch(`${origin}/v1/health`)).status).toBe(200);

    // SIGTERM to npm alone, not to its group: what `kill $!` after `npm run dev &` does.
    process.kill(dev.pid!, "SIGTERM");
    const stopBy = Date.now() + STOP_MS;
    while ((groupAlive(dev.pid!) || processesOf(stateDir!) !== "") && Date.now() < stopBy) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(groupAlive(dev.pid!), `still running after SIGTERM:\n${output.slice(-2000)}`).toBe(false);
    expect(processesOf(stateDir!)).toBe("");
    await expect(fetch(`${origin}/v1/health`)).rejects.toThrow();
  }, START_MS + STOP_MS + 30_000);
});
