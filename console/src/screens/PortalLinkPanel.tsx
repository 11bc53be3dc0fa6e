import { useState } from "preact/hooks";
import { call } from "../api.ts";
import { useAction } from "../ui/action.ts";
import { Button, ErrorBox, formatTime, SecretOnce } from "../ui/components.tsx";

/** A single-use link to this tenant's own portal, for its administrator. */
export function PortalLinkPanel({ tenantId }: { tenantId: string }) {
  const [intent, setIntent] = useState("overview");
  const [ttl, setTtl] = useState("300");
  const [link, setLink] = useState<{ url: string; expiresAt: string } | null>(null);
  const create = useAction(async () => {
    setLink(await call("POST", `/v1/tenants/${tenantId}/portal-links`, { body: { intent, ttlSeconds: Number(ttl) } }));
  });
  return (
    <section aria-labelledby="portal-title">
      <h2 id="portal-title">Portal link</h2>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void create.run();
        }}
      >
        <label>
          Opens
          <select aria-label="Opens" value={intent} onChange={(e) => setIntent(e.currentTarget.value)}>
            <option value="overview">overview</option>
            <option value="usage">usage</option>
            <option value="keys">keys</option>
          </select>
        </label>
        <label>
          Valid for (s, 60–900)
          <input inputMode="numeric" class="narrow" value={ttl} onInput={(e) => setTtl(e.currentTarget.value)} />
        </label>
        <Button type="submit" busy={create.busy}>
          Create link
        </Button>
      </form>
      <ErrorBox error={create.error} />
      {link && (
        <>
          <SecretOnce label="Portal link (works once)" value={link.url} />
          <p class="muted">Open it before {formatTime(link.expiresAt)}.</p>
        </>
      )}
    </section>
  );
}
