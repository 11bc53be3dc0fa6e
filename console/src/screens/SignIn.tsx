import { useState } from "preact/hooks";
import { adminToken, call } from "../api.ts";
import { useAction } from "../ui/action.ts";
import { Button, ErrorBox } from "../ui/components.tsx";

/** The admin token is checked against the API, then kept in sessionStorage for this tab only. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const signIn = useAction(async () => {
    adminToken.set(token.trim());
    try {
      await call("GET", "/v1/plans");
    } catch (error) {
      adminToken.clear();
      throw error;
    }
    onSignedIn();
  });
  return (
    <main class="signin">
      <h1>Tenantry Console</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void signIn.run();
        }}
      >
        <label for="admin-token">Admin token</label>
        <input id="admin-token" type="password" autoComplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        <p class="muted">Kept in this tab's session storage only; closing the tab signs you out.</p>
        <ErrorBox error={signIn.error} />
        <Button type="submit" variant="primary" busy={signIn.busy} disabled={!token.trim()}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
