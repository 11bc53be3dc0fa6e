import { useState } from "preact/hooks";
import { navigate } from "../../router.ts";
import type { WebhookEndpoint } from "../../types.ts";
import { useAction, useLoad } from "../../ui/action.ts";
import { Button, Confirm, ErrorBox, formatTime, Link, Loading, SecretOnce } from "../../ui/components.tsx";
import { DeliveriesLog } from "./DeliveriesLog.tsx";
import { WebhookForm } from "./WebhookForm.tsx";
import { webhooksApi } from "./webhooks-api.ts";

/** One endpoint: edit, disable or enable, send a test event, rotate the secret, delete; its deliveries. */
export function WebhookDetail({ id }: { id: string }) {
  const endpoint = useLoad(() => webhooksApi.get(id), [id]);
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState<"rotate" | "delete" | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  /** Bumped after an action that adds deliveries, so the log reloads. */
  const [logVersion, setLogVersion] = useState(0);

  const toggle = useAction(async (current: WebhookEndpoint) => endpoint.setData(await webhooksApi.update(id, { disabled: !current.disabled })));
  const sendTest = useAction(async () => {
    const event = await webhooksApi.sendTest(id);
    setSent(event.id);
    setLogVersion((v) => v + 1);
  });
  const rotate = useAction(async () => {
    setSecret((await webhooksApi.rotateSecret(id)).secret);
    setConfirm(null);
  });
  const remove = useAction(async () => {
    await webhooksApi.remove(id);
    setConfirm(null);
    navigate("/webhooks");
  });

  if (endpoint.error) return <ErrorBox error={endpoint.error} />;
  const current = endpoint.data;
  if (!current) return <Loading what="webhook endpoint" />;
  return (
    <section>
      <p class="crumbs">
        <Link to="/webhooks">Webhooks</Link> /
      </p>
      <h1 class="tenant-name">
        <span data-testid="endpoint-url">{current.url}</span> <span class={`badge badge-${current.disabled ? "disabled" : "active"}`}>{current.disabled ? "disabled" : "enabled"}</span>
      </h1>
      <dl class="facts">
        <div><dt>Id</dt><dd class="mono">{current.id}</dd></div>
        <div><dt>Events</dt><dd>{current.events.join(", ")}</dd></div>
        <div><dt>Created</dt><dd>{formatTime(current.createdAt)}</dd></div>
        {current.description && <div><dt>Description</dt><dd>{current.description}</dd></div>}
      </dl>
      {current.disabledReason && <p class="error">Disabled by the platform: {current.disabledReason}</p>}
      {secret && <SecretOnce label="New signing secret (the old one also signs for 24 h)" value={secret} />}

      {editing ? (
        <div class="card">
          <h2>Edit endpoint</h2>
          <WebhookForm
            initial={current}
            submitLabel="Save endpoint"
            onCancel={() => setEditing(false)}
            onSubmit={async (input) => {
              endpoint.setData(await webhooksApi.update(id, input));
              setEditing(false);
            }}
          />
        </div>
      ) : (
        <div class="actions">
          <Button onClick={() => setEditing(true)}>Edit</Button>
          <Button busy={toggle.busy} onClick={() => void toggle.run(current)}>
            {current.disabled ? "Enable" : "Disable"}
          </Button>
          <Button busy={sendTest.busy} disabled={current.disabled} onClick={() => void sendTest.run()}>
            Send test event
          </Button>
          <Button onClick={() => setConfirm("rotate")}>Rotate secret</Button>
          <Button variant="danger" onClick={() => setConfirm("delete")}>
            Delete
          </Button>
        </div>
      )}
      {sent && <p role="status">Test event <code>{sent}</code> queued.</p>}
      <ErrorBox error={toggle.error ?? sendTest.error ?? rotate.error ?? remove.error} />

      <DeliveriesLog endpointId={id} version={logVersion} />

      <Confirm open={confirm === "rotate"} title="Rotate the signing secret?" confirmLabel="Rotate" busy={rotate.busy} onCancel={() => setConfirm(null)} onConfirm={() => void rotate.run()}>
        <p>The new secret is shown once. For 24 hours every message carries two signatures, one with each secret, so the receiver can switch over.</p>
        <ErrorBox error={rotate.error} />
      </Confirm>
      <Confirm open={confirm === "delete"} title="Delete this endpoint?" confirmLabel="Delete endpoint" busy={remove.busy} onCancel={() => setConfirm(null)} onConfirm={() => void remove.run()}>
        <p>It receives no more events, and its delivery log is deleted with it.</p>
        <ErrorBox error={remove.error} />
      </Confirm>
    </section>
  );
}
