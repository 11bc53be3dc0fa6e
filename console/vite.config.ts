import path from "node:path";
import { defineConfig } from "vite";

// The console is served by the Worker under /console (see src/console/routes.ts); every file is
// bundled here, so the page needs nothing from another origin at run time.
export default defineConfig({
  root: import.meta.dirname,
  base: "/console/",
  publicDir: false,
  build: {
    outDir: path.join(import.meta.dirname, "dist"),
    emptyOutDir: true,
    // Vite would inline small assets as data: URLs; keep files so the CSP stays simple.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
