// The operator console (console/) is built by Vite into console/dist, the Worker's [assets]
// folder: by `npm install` (prepare), by `npm run dev` at start, and here when a stack starts
// from a checkout that has no build yet (wrangler would otherwise bundle without the console).
import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CONSOLE_DIST = path.join(PROJECT_ROOT, "console/dist");

export async function buildConsole(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(PROJECT_ROOT, "node_modules/vite/bin/vite.js"), "build", "--config", path.join(PROJECT_ROOT, "console/vite.config.ts"), "--logLevel", "warn"],
      { cwd: PROJECT_ROOT, timeout: 120_000 },
      (error, _stdout, stderr) => (error ? reject(new Error(`building the console failed: ${stderr || String(error)}`)) : resolve()),
    );
  });
}

/** Builds the console unless its build is newer than every source file. */
export async function ensureConsoleBuilt(): Promise<void> {
  const built = await stat(path.join(CONSOLE_DIST, "index.html")).then((info) => info.mtimeMs, () => 0);
  if (built === 0 || (await newestSource()) > built) await buildConsole();
}

async function newestSource(): Promise<number> {
  const root = path.join(PROJECT_ROOT, "console");
  const entries = await readdir(path.join(root, "src"), { recursive: true });
  const files = [...entries.map((entry) => path.join(root, "src", entry)), path.join(root, "index.html"), path.join(root, "vite.config.ts")];
  const times = await Promise.all(files.map((file) => stat(file).then((info) => info.mtimeMs, () => 0)));
  return Math.max(...times);
}
