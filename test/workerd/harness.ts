import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { TablesHarness } from "./tables-harness.ts";

/** A fresh harness object (its own SQLite storage) per call. */
export function harness(): DurableObjectStub<TablesHarness> {
  return env.TABLES_HARNESS.get(env.TABLES_HARNESS.newUniqueId());
}

/** Runs `work` inside the object, with its tables and its storage. */
export function inside<R>(stub: DurableObjectStub<TablesHarness>, work: (object: TablesHarness, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(stub, work);
}
