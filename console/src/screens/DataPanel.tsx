import { useState } from "preact/hooks";
import { problemFrom, requestHeaders } from "../api.ts";
import { asProblem, useAction } from "../ui/action.ts";
import { Button, ErrorBox } from "../ui/components.tsx";

/** Export streams NDJSON to a download (bytes counted as they come); import uploads a file with progress. */
export function DataPanel({ tenantId }: { tenantId: string }) {
  const [received, setReceived] = useState(0);
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [imported, setImported] = useState<number | null>(null);

  const exportData = useAction(async () => {
    setReceived(0);
    const response = await fetch(`/v1/tenants/${tenantId}/export`, { headers: requestHeaders("admin", { Accept: "application/x-ndjson" }) });
    if (!response.ok || !response.body) throw await problemFrom(response);
    const reader = response.body.getReader();
    const chunks: BlobPart[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
      setReceived(total);
    }
    const url = URL.createObjectURL(new Blob(chunks, { type: "application/x-ndjson" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `${tenantId}.ndjson`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  const importData = useAction(
    () =>
      new Promise<void>((resolve, reject) => {
        if (!file) return resolve();
        setImported(null);
        // XMLHttpRequest: fetch cannot report upload progress.
        const xhr = new XMLHttpRequest();
        xhr.open("POST", `/v1/tenants/${tenantId}/import`);
        for (const [name, value] of Object.entries(requestHeaders("admin", { "Content-Type": "application/x-ndjson" }))) xhr.setRequestHeader(name, value);
        xhr.upload.onprogress = (event) => setSent({ loaded: event.loaded, total: event.total || file.size });
        xhr.onerror = () => reject(asProblem(new Error("The upload failed: the API could not be reached.")));
        xhr.onload = () => {
          const response = new Response(xhr.responseText, { status: xhr.status });
          if (xhr.status >= 200 && xhr.status < 300) {
            setImported((JSON.parse(xhr.responseText) as { imported: number }).imported);
            resolve();
          } else {
            void problemFrom(response).then(reject);
          }
        };
        xhr.send(file);
      }),
  );

  return (
    <section aria-labelledby="data-title">
      <h2 id="data-title">Export and import</h2>
      <div class="card">
        <h3>Export</h3>
        <p class="muted">Every map entry and secret of the tenant as NDJSON.</p>
        <Button busy={exportData.busy} onClick={() => void exportData.run()}>
          Download export
        </Button>
        {received > 0 && <span class="muted"> {received.toLocaleString("en-US")} bytes</span>}
        <ErrorBox error={exportData.error} />
      </div>
      <div class="card">
        <h3>Import</h3>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void importData.run();
          }}
        >
          <label>
            NDJSON file (as produced by export)
            <input type="file" accept=".ndjson,application/x-ndjson" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          </label>
          <Button type="submit" busy={importData.busy} disabled={!file}>
            Upload
          </Button>
          {sent && <progress max={sent.total} value={sent.loaded} aria-label="Upload progress" />}
          {imported !== null && <p role="status">Imported {imported} records.</p>}
          <ErrorBox error={importData.error} />
        </form>
      </div>
    </section>
  );
}
