// Regenerates sdk/openapi.json and sdk/src/schema.ts from the routes' own OpenAPI definitions.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { currentSpec, sdkFiles } from "./sdk/openapi-spec.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const files = await sdkFiles(await currentSpec());
await writeFile(path.join(root, "sdk/openapi.json"), files.spec);
await writeFile(path.join(root, "sdk/src/schema.ts"), files.types);
console.log("wrote sdk/openapi.json and sdk/src/schema.ts");
