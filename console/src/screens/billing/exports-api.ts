// The Stripe meter export routes of the v1.1 contract (admin token).
import { call } from "../../api.ts";
import type { ExportHour } from "../../types.ts";

const HOUR_MS = 3_600_000;

export const lastClosedHour = (now = Date.now()) => new Date(Math.floor(now / HOUR_MS) * HOUR_MS - HOUR_MS);

export const exportsApi = {
  /** Exported hours of the last `hours` hours, newest first. */
  list: async (hours: number): Promise<ExportHour[]> => {
    const to = new Date();
    const from = new Date(to.getTime() - hours * HOUR_MS);
    const page = await call<{ data: ExportHour[] }>("GET", "/v1/billing/exports", { query: { from: from.toISOString(), to: to.toISOString() } });
    return [...page.data].reverse();
  },
  run: (hour?: string) => call<{ hour: string }>("POST", "/v1/billing/exports/run", { body: hour ? { hour } : {} }),
};
