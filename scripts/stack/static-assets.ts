// The local stand-in for Workers static assets (the ASSETS binding): files of one folder, and
// index.html for any path that names no file (not_found_handling = "single-page-application").
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Response, type Request } from "miniflare";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

export function assetsFrom(directory: string) {
  const root = path.resolve(directory);
  return async (request: Request): Promise<Response> => {
    const pathname = decodeURIComponent(new URL(request.url).pathname);
    let file = path.resolve(root, `.${pathname}`);
    if (!file.startsWith(root) || !(await stat(file).then((info) => info.isFile(), () => false))) file = path.join(root, "index.html");
    const body = await readFile(file).catch(() => null);
    if (!body) return new Response("Not found", { status: 404 });
    const headers = { "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream" };
    return new Response(request.method === "HEAD" ? null : body, { headers });
  };
}
