import { mkdir, readFile, writeFile, chmod } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface Config {
  url?: string;
  token?: string;
}

/** `$TENANTRY_CONFIG`, else `$XDG_CONFIG_HOME/tenantry/config.json`, else `~/.config/tenantry/config.json`. */
export function configPath(): string {
  if (process.env.TENANTRY_CONFIG) return process.env.TENANTRY_CONFIG;
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "tenantry", "config.json");
}

export async function readConfig(): Promise<Config> {
  try {
    return JSON.parse(await readFile(configPath(), "utf8")) as Config;
  } catch {
    return {};
  }
}

/** Written with mode 0600: the file holds the admin token. */
export async function writeConfig(config: Config): Promise<string> {
  const file = configPath();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** The environment wins over the file, so scripts and CI need no login. */
export async function resolveConnection(): Promise<{ url: string | undefined; token: string | undefined }> {
  const saved = await readConfig();
  return { url: process.env.TENANTRY_URL ?? saved.url, token: process.env.TENANTRY_ADMIN_TOKEN ?? saved.token };
}
