import { useState } from "preact/hooks";
import { ProblemError } from "../../api.ts";
import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint } from "../../types.ts";
import { useAction } from "../../ui/action.ts";
import { Button, ErrorBox } from "../../ui/components.tsx";
import type { EndpointInput } from "./webhooks-api.ts";

/** Url, description and event types of an endpoint: used to create one and to edit one. */
export function WebhookForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: WebhookEndpoint;
  submitLabel: string;
  onSubmit: (input: EndpointInput) => Promise<void>;
  onCancel?: () => void;
}) {
  const [url, setUrl] = useState(initial?.url ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [all, setAll] = useState(initial ? initial.events.includes("*") : true);
  const [events, setEvents] = useState<Set<string>>(new Set(initial?.events.filter((type) => type !== "*") ?? []));

  const submit = useAction(async () => {
    const chosen = all ? ["*"] : WEBHOOK_EVENT_TYPES.filter((type) => events.has(type));
    if (!url.trim()) throw new ProblemError(400, "invalid_request", "Enter the endpoint's URL.", [{ path: "url", message: "Required" }]);
    if (chosen.length === 0) throw new ProblemError(400, "invalid_request", "Choose at least one event type.", [{ path: "events", message: "Empty" }]);
    await onSubmit({ url: url.trim(), events: chosen, description: description.trim() || null });
  });
  const toggle = (type: string, on: boolean) => {
    const next = new Set(events);
    if (on) next.add(type);
    else next.delete(type);
    setEvents(next);
  };
  const invalid = (path: string) => (submit.error?.errors.some((e) => e.path.endsWith(path)) ? "true" : undefined);

  return (
    <form
      class="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void submit.run();
      }}
    >
      <label>
        Endpoint URL
        <input type="url" required maxLength={2048} placeholder="https://billing.example.com/hooks" value={url} aria-invalid={invalid("url")} onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      <label>
        Description (optional)
        <input maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <fieldset class="events">
        <legend>Events</legend>
        <label class="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> All events
        </label>
        {!all &&
          WEBHOOK_EVENT_TYPES.map((type) => (
            <label key={type} class="check">
              <input type="checkbox" checked={events.has(type)} onChange={(e) => toggle(type, e.currentTarget.checked)} /> <code>{type}</code>
            </label>
          ))}
      </fieldset>
      <ErrorBox error={submit.error} />
      <div class="actions">
        <Button type="submit" variant="primary" busy={submit.busy}>
          {submitLabel}
        </Button>
        {onCancel && <Button onClick={onCancel}>Cancel</Button>}
      </div>
    </form>
  );
}
