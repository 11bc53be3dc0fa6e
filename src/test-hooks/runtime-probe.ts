import { testHooksEnabled } from "./enabled.ts";

/** Where the admin test route asks a runtime object about itself (through its fetch, not RPC). */
export const RUNTIME_PROBE_URL = "https://tenant-runtime/_test/state";

export interface RuntimeProbeState {
  /** When this instance was constructed: a later value after idling means it hibernated and woke. */
  bootedAt: number;
  /** Whether the object keeps itself warm (dedicated tenants), and its next alarm. */
  pinned: boolean;
  alarmAt: number | null;
}

/** The runtime object's answer to the probe, or undefined for any other request (or without TEST_HOOKS). */
export async function answerRuntimeProbe(env: Env, request: Request, state: () => Promise<RuntimeProbeState>): Promise<Response | undefined> {
  if (!testHooksEnabled(env) || request.url !== RUNTIME_PROBE_URL) return undefined;
  return Response.json(await state());
}
