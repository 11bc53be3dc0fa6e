import openapiTS, { astToString } from "openapi-typescript";
import { createApp } from "../../src/app.ts";

const HEADER = "// Generated from the Worker's /openapi.json by `npm run sdk:generate`. Do not edit.\n\n";

/** The spec exactly as the Worker serves it at GET /openapi.json, built in-process (no stack needed). */
export async function currentSpec(): Promise<Record<string, unknown>> {
  const noContext = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  const response = await createApp().request("/openapi.json", {}, {} as Env, noContext);
  if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** The SDK's committed files for a spec: the spec itself and the TypeScript types made from it. */
export async function sdkFiles(spec: Record<string, unknown>): Promise<{ spec: string; types: string }> {
  const types = HEADER + astToString(await openapiTS(spec as never, { alphabetize: true, emptyObjectsUnknown: true }));
  return { spec: `${JSON.stringify(spec, null, 2)}\n`, types };
}
