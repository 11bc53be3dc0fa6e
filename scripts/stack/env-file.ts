import { readFile, writeFile } from "node:fs/promises";

// The Worker's variables pass from the stack to its host in a file (`NAME="json string"` lines,
// owner-only): they hold secrets, which a command line would show to every process.

export function writeEnvFile(file: string, vars: Record<string, string>): Promise<void> {
  return writeFile(file, Object.entries(vars).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join("\n") + "\n", { mode: 0o600 });
}

export async function readEnvFile(file: string): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  for (const line of (await readFile(file, "utf8")).split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) vars[line.slice(0, at)] = JSON.parse(line.slice(at + 1)) as string;
  }
  return vars;
}
