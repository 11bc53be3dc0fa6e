#!/usr/bin/env node
// `npm install` builds the CLI (the root package's `prepare` runs `npm run build`).
import { existsSync } from "node:fs";

const built = new URL("../dist/main.js", import.meta.url);
if (!existsSync(built)) {
  console.error("tenantry: the CLI is not built yet; run `npm run build` at the repository root.");
  process.exit(1);
}
await import(built.href);
