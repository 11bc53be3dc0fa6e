import { execFile, spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, readFile, readdir, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";

export interface EnsureBinaryOptions {
  /** Executable name, also looked up on PATH. */
  name: string;
  /** Absolute paths to try first, in order. A `*` path segment is expanded, newest version first. */
  candidates: string[];
  /** Debian package that provides the binary. */
  aptPackage: string;
}

/**
 * Returns the absolute path of an executable, installing its Debian package
 * when it is missing and we are allowed to (root with apt-get available).
 */
export async function ensureBinary(opts: EnsureBinaryOptions): Promise<string> {
  const found = await findBinary(opts);
  if (found !== undefined) return found;

  const installHint = `${opts.name} not found: install it with \`sudo apt-get install ${opts.aptPackage}\``;
  if (!isRoot() || (await findOnPath("apt-get")) === undefined) {
    throw new Error(installHint);
  }
  await aptInstall(opts.aptPackage);
  const installed = await findBinary(opts);
  if (installed === undefined) {
    throw new Error(`${installHint} (apt-get install -y ${opts.aptPackage} ran but ${opts.name} is still missing)`);
  }
  return installed;
}

/** Candidates for a PostgreSQL server binary such as `postgres` or `initdb` (Debian layout). */
export function postgresBinaryCandidates(bin: string): string[] {
  return [`/usr/lib/postgresql/*/bin/${bin}`, `/usr/local/pgsql/bin/${bin}`];
}

/** Resolves a PostgreSQL server binary, installing Debian's `postgresql` package if needed. */
export async function ensurePostgresBinary(bin: string): Promise<string> {
  return await ensureBinary({ name: bin, candidates: postgresBinaryCandidates(bin), aptPackage: "postgresql" });
}

async function findBinary(opts: EnsureBinaryOptions): Promise<string | undefined> {
  for (const candidate of opts.candidates) {
    for (const path of await expandPattern(candidate)) {
      if (await isExecutableFile(path)) return path;
    }
  }
  return await findOnPath(opts.name);
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const path = join(dir, name);
    if (await isExecutableFile(path)) return path;
  }
  return undefined;
}

/** Expands `*` within path segments, sorting matches newest version first (numeric-aware, descending). */
async function expandPattern(pattern: string): Promise<string[]> {
  if (!pattern.includes("*")) return [pattern];
  let prefixes = [pattern.startsWith("/") ? "/" : ""];
  for (const segment of pattern.split("/").filter((s) => s !== "")) {
    if (!segment.includes("*")) {
      prefixes = prefixes.map((p) => join(p, segment));
      continue;
    }
    const matcher = segmentMatcher(segment);
    const next: string[] = [];
    for (const prefix of prefixes) {
      const entries = await readdir(prefix || ".").catch(() => [] as string[]);
      const matches = entries.filter((e) => matcher.test(e));
      matches.sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
      next.push(...matches.map((m) => join(prefix, m)));
    }
    prefixes = next;
  }
  return prefixes;
}

function segmentMatcher(segment: string): RegExp {
  const escaped = segment.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

let aptUpdated: Promise<void> | undefined;

async function aptInstall(aptPackage: string): Promise<void> {
  aptUpdated ??= runApt(["update"]).catch((error: unknown) => {
    aptUpdated = undefined; // let a later call try again
    throw error;
  });
  await aptUpdated;
  await runApt(["install", "-y", "--no-install-recommends", aptPackage]);
}

async function runApt(args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn("apt-get", args, {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`apt-get ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * An unprivileged account to run servers that refuse root (PostgreSQL).
 * Reuses Debian's `postgres` account, else `tenantry`, creating the latter if needed.
 */
export async function ensureUnprivilegedUser(): Promise<SystemUser> {
  for (const name of ["postgres", "tenantry"]) {
    const user = await lookupUser(name);
    if (user !== undefined) return user;
  }
  await run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "tenantry"]);
  const created = await lookupUser("tenantry");
  if (created === undefined) throw new Error("useradd tenantry succeeded but the user is not in /etc/passwd");
  return created;
}

async function lookupUser(name: string): Promise<SystemUser | undefined> {
  const passwd = await readFile("/etc/passwd", "utf8");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/** Runs a command and returns its stdout; rejects with stderr on failure. */
async function run(file: string, args: string[]): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    execFile(file, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}
