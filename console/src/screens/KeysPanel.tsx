import { useState } from "preact/hooks";
import type { ApiKey } from "../types.ts";
import { useAction, useLoad } from "../ui/action.ts";
import { Button, Confirm, ErrorBox, formatTime, Loading, SecretOnce } from "../ui/components.tsx";
import type { TenantSource } from "./source.ts";

export function KeysPanel({ source }: { source: TenantSource }) {
  const keys = useLoad(() => source.listKeys(), [source]);
  const [name, setName] = useState("");
  const [read, setRead] = useState(true);
  const [write, setWrite] = useState(true);
  const [expiresAt, setExpiresAt] = useState("");
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const create = useAction(async () => {
    const scopes = [read && "read", write && "write"].filter(Boolean) as string[];
    const body: { name: string; scopes: string[]; expiresAt?: string } = { name: name.trim(), scopes };
    if (expiresAt) body.expiresAt = new Date(expiresAt).toISOString();
    setCreated(await source.createKey(body));
    setName("");
    keys.reload();
  });
  const revoke = useAction(async (key: ApiKey) => {
    await source.revokeKey(key.id);
    setRevoking(null);
    keys.reload();
  });

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      {created?.key && <SecretOnce label={`Key “${created.name}”`} value={created.key} />}
      <form
        class="form inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void create.run();
        }}
      >
        <label>
          Key name
          <input name="keyName" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          <label class="check">
            <input type="checkbox" checked={read} onChange={(e) => setRead(e.currentTarget.checked)} /> read
          </label>
          <label class="check">
            <input type="checkbox" checked={write} onChange={(e) => setWrite(e.currentTarget.checked)} /> write
          </label>
        </fieldset>
        <label>
          Expires (optional)
          <input type="datetime-local" value={expiresAt} onInput={(e) => setExpiresAt(e.currentTarget.value)} />
        </label>
        <Button type="submit" variant="primary" busy={create.busy}>
          Create key
        </Button>
      </form>
      <ErrorBox error={create.error ?? keys.error ?? revoke.error} />
      {keys.loading && !keys.data && <Loading what="keys" />}
      {keys.data && (
        <div class="table-wrap">
          <table class="keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-key-id={key.id}>
                  <td>{key.name}</td>
                  <td class="mono">{key.start}…</td>
                  <td>{key.scopes.join(", ")}</td>
                  <td>{formatTime(key.createdAt)}</td>
                  <td>{formatTime(key.expiresAt)}</td>
                  <td>{key.revokedAt ? `revoked ${formatTime(key.revokedAt)}` : "active"}</td>
                  <td>
                    {!key.revokedAt && (
                      <Button variant="danger" onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Confirm
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        busy={revoke.busy}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && void revoke.run(revoking)}
      >
        <p>
          Requests made with “{revoking?.name}” ({revoking?.start}…) fail at every edge within a second. This cannot be undone.
        </p>
      </Confirm>
    </section>
  );
}
