// Runs the conformance checks on the built SDK (sdk/dist) in Node, Deno or Bun, against the stack at
// TENANTRY_URL, and prints the result as one JSON line after RESULT_MARKER. Exit code 0 when all passed.
import * as sdk from "../../../sdk/dist/index.js";
import { runConformance } from "./conformance.mjs";

const RESULT_MARKER = "CONFORMANCE_RESULT ";

function runtimeName() {
  if (globalThis.Deno) return `deno ${globalThis.Deno.version.deno}`;
  if (globalThis.Bun) return `bun ${globalThis.Bun.version}`;
  return `node ${globalThis.process.versions.node}`;
}

// Deno.env.get, not toObject: Deno is given read access to these two variables only.
const env = (name) => (globalThis.Deno ? globalThis.Deno.env.get(name) : globalThis.process.env[name]);
const options = { baseUrl: env("TENANTRY_URL"), adminToken: env("TENANTRY_ADMIN_TOKEN"), runtime: runtimeName() };
// What the SDK's docs tell Node 18–21 users to pass: Node 18 has no global WebCrypto, and Node < 22
// no global WebSocket.
if (!globalThis.crypto?.subtle) options.crypto = (await import("node:crypto")).webcrypto;
if (!globalThis.WebSocket) options.WebSocket = (await import("ws")).WebSocket;

const result = await runConformance(sdk, options);
result.provided = { crypto: Boolean(options.crypto), WebSocket: Boolean(options.WebSocket) };
console.log(RESULT_MARKER + JSON.stringify(result));
if (globalThis.Deno) globalThis.Deno.exit(result.ok ? 0 : 1);
else globalThis.process.exit(result.ok ? 0 : 1);
