// The layer rules of docs/ARCHITECTURE.md, checked by test/unit/architecture.test.ts (npm test).
// Bottom to top: lib → core → platform → domains (with the runtime object's client) → runtime
// object → composition. A module may import its own layer and the layers below it.
const COMPOSITION = "^(src/app\\.ts|src/routers/|src/db/schema\\.ts|workers/)";
const BELOW = {
  lib: "lib/",
  core: "lib/|core/",
  platform: "lib/|core/|db/|cache/|http/|auth/|services/",
};

/** A layer of src/ that may import only the folders listed in `allowed`. */
const layer = (name, folders, allowed) => ({
  name: `${name}-imports-only-below`,
  severity: "error",
  comment: `src/{${folders}} may import only src/{${allowed.replace(/\//g, "").replace(/\|/g, ",")}}.`,
  from: { path: `^src/(${folders})/`, pathNot: COMPOSITION },
  to: { path: `^(src/(?!${allowed})|workers/|durable-objects/)`, pathNot: "^src/db/schema\\.ts$" },
});

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", comment: "Modules form no import cycle.", from: {}, to: { circular: true } },
    layer("lib", "lib", BELOW.lib),
    layer("core", "core", BELOW.core),
    layer("platform", "db|cache|http|auth|services", BELOW.platform),
    {
      name: "domains-use-only-the-runtime-client",
      severity: "error",
      comment: "Domains reach the runtime object through its stub factory and RPC types only, never its class or tables.",
      from: { path: "^src/", pathNot: COMPOSITION },
      to: { path: "^durable-objects/", pathNot: "^durable-objects/[^/]+/(stub|admission)\\.ts$" },
    },
    {
      name: "nothing-imports-composition",
      severity: "error",
      comment: "Only the entry points (workers/) import the composition root and the routers.",
      from: { path: "^(src|durable-objects)/", pathNot: COMPOSITION },
      to: { path: COMPOSITION, pathNot: "^src/db/schema\\.ts$" },
    },
    {
      // The one allowed exception (docs/ARCHITECTURE.md): drizzle's typed client needs every table.
      name: "only-the-db-client-imports-the-schema",
      severity: "error",
      comment: "src/db/schema.ts gathers every domain's tables for drizzle-kit and the typed client; nothing else imports it.",
      from: { path: "^(src|durable-objects)/", pathNot: "^src/db/client\\.ts$" },
      to: { path: "^src/db/schema\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|test|bench|scripts)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
