import { useCallback, useState } from "preact/hooks";
import { useAction, useLoad, usePolling } from "../../ui/action.ts";
import { Button, ErrorBox, Loading } from "../../ui/components.tsx";
import { exportsApi, lastClosedHour } from "./exports-api.ts";
import { ExportsTable, formatHour } from "./ExportsTable.tsx";

const RANGES = [
  { hours: 24, label: "last 24 hours" },
  { hours: 24 * 7, label: "last 7 days" },
  { hours: 24 * 35, label: "last 35 days" },
];

/** The hourly Stripe meter export: status hour by hour, and a run of one closed hour on demand. */
export function Billing() {
  const [range, setRange] = useState(24);
  const exports = useLoad(() => exportsApi.list(range), [range]);
  const refresh = useCallback(() => {
    exportsApi.list(range).then((value) => exports.setData(value), () => undefined);
  }, [range]);
  usePolling(refresh, 1500, Boolean(exports.data?.some((hour) => hour.status === "pending")));

  const closed = lastClosedHour();
  const choices = Array.from({ length: 24 }, (_, index) => new Date(closed.getTime() - index * 3_600_000).toISOString());
  const [hour, setHour] = useState(choices[0]!);
  const [started, setStarted] = useState<string | null>(null);
  const run = useAction(async () => {
    setStarted((await exportsApi.run(hour)).hour);
    exports.reload();
  });

  return (
    <section>
      <h1>Billing export</h1>
      <p class="muted">
        Each closed UTC hour, every tenant with a Stripe customer gets one Stripe meter event per mapped usage field. Set a tenant's customer on its Integrations tab.
      </p>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void run.run();
        }}
      >
        <label>
          Hour
          <select aria-label="Hour to export" value={hour} onChange={(e) => setHour(e.currentTarget.value)}>
            {choices.map((choice) => (
              <option key={choice} value={choice}>{formatHour(choice)}</option>
            ))}
          </select>
        </label>
        <Button type="submit" variant="primary" busy={run.busy}>
          Run export now
        </Button>
      </form>
      <ErrorBox error={run.error} />
      {started && <p role="status">Export of {formatHour(started)} started.</p>}

      <div class="title-row">
        <h2>Exported hours</h2>
        <label>
          Range
          <select aria-label="Range" value={String(range)} onChange={(e) => setRange(Number(e.currentTarget.value))}>
            {RANGES.map((item) => (
              <option key={item.hours} value={String(item.hours)}>{item.label}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={exports.error} />
      {exports.loading && !exports.data && <Loading what="exports" />}
      {exports.data && <ExportsTable hours={exports.data} />}
    </section>
  );
}
