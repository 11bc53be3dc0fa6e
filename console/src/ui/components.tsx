import type { ButtonHTMLAttributes, ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ProblemError } from "../api.ts";
import { navigate } from "../router.ts";

/** The problem document's detail (and field errors), announced to screen readers. */
export function ErrorBox({ error }: { error: ProblemError | null | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{error.detail}</strong>
      {error.errors.length > 0 && (
        <ul>
          {error.errors.map((item) => (
            <li key={item.path}>
              <code>{item.path || "body"}</code>: {item.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; variant?: "primary" | "danger" | "plain" };

/** A button that is disabled, and says so, while its call runs. */
export function Button({ busy, variant = "plain", children, disabled, type, ...rest }: ButtonProps) {
  return (
    <button {...rest} type={(type as "button" | "submit" | undefined) ?? "button"} class={`btn btn-${variant}`} disabled={Boolean(disabled) || busy} aria-busy={busy ? "true" : undefined}>
      {busy ? "Working…" : children}
    </button>
  );
}

export function Link({ to, children, class: className }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={`/console${to}`}
      class={className}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** A secret shown once, with a copy button. */
export function SecretOnce({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret" role="status">
      <p>
        <strong>{label}</strong> — shown once; copy it now.
      </p>
      <div class="secret-row">
        <code data-testid="secret-value">{value}</code>
        <Button
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}

/** A modal confirmation (native <dialog>: focus trapped, Esc cancels). */
export function Confirm({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
}: {
  open: boolean;
  title: string;
  children?: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} onCancel={(event) => { event.preventDefault(); onCancel(); }} aria-labelledby="confirm-title">
      <h2 id="confirm-title">{title}</h2>
      {children}
      <div class="actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="danger" busy={busy} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

export function Steps({ steps }: { steps: { name: string; status: string; attempts: number; durationMs: number | null; error: string | null }[] }) {
  return (
    <ol class="steps">
      {steps.map((step) => (
        <li key={step.name} class={`step step-${step.status}`}>
          <span class="step-name">{step.name}</span> <StatusBadge status={step.status} />
          {step.durationMs !== null && <span class="muted"> {step.durationMs} ms</span>}
          {step.attempts > 1 && <span class="muted"> · {step.attempts} attempts</span>}
          {step.error && <div class="muted">{step.error}</div>}
        </li>
      ))}
    </ol>
  );
}

export const formatTime = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "—");

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return "unlimited";
  return value.toLocaleString("en-US");
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" aria-live="polite">Loading {what}…</p>;
}
