import { useState } from "preact/hooks";
import { call } from "../api.ts";
import { useAction } from "../ui/action.ts";
import { Button, ErrorBox, formatTime, SecretOnce } from "../ui/components.tsx";

/** Tenant tokens (JWTs) are not stored, so there is nothing to list: issue one and copy it. */
export function TokensPanel({ tenantId }: { tenantId: string }) {
  const [sub, setSub] = useState("");
  const [ttl, setTtl] = useState("3600");
  const [read, setRead] = useState(true);
  const [write, setWrite] = useState(false);
  const [issued, setIssued] = useState<{ token: string; expiresAt: string } | null>(null);
  const issue = useAction(async () => {
    const scopes = [read && "read", write && "write"].filter(Boolean);
    setIssued(await call("POST", `/v1/tenants/${tenantId}/tokens`, { body: { sub: sub.trim(), scopes, ttlSeconds: Number(ttl) } }));
  });
  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">Tenant tokens</h2>
      <form
        class="form inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void issue.run();
        }}
      >
        <label>
          Subject (sub)
          <input required value={sub} onInput={(e) => setSub(e.currentTarget.value)} placeholder="user-42" />
        </label>
        <label>
          Lifetime (seconds, ≤ 86400)
          <input inputMode="numeric" class="narrow" value={ttl} onInput={(e) => setTtl(e.currentTarget.value)} />
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
        <Button type="submit" variant="primary" busy={issue.busy}>
          Issue token
        </Button>
      </form>
      <ErrorBox error={issue.error} />
      {issued && (
        <>
          <SecretOnce label="Tenant token" value={issued.token} />
          <p class="muted">Expires {formatTime(issued.expiresAt)}.</p>
        </>
      )}
    </section>
  );
}
