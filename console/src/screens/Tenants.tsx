import { useState } from "preact/hooks";
import { call } from "../api.ts";
import { navigate } from "../router.ts";
import type { Page, Tenant } from "../types.ts";
import { useLoad } from "../ui/action.ts";
import { Button, ErrorBox, formatTime, Link, Loading, StatusBadge } from "../ui/components.tsx";

const STATUSES = ["", "pending", "provisioning", "active", "suspended", "failed", "deleted"];
const PLANS = ["", "free", "pro", "enterprise"];
const PAGE_SIZE = 20;
/** The API filters by status and plan; a name search walks pages of 100, at most this many. */
const SEARCH_PAGES = 10;

async function searchByName(name: string, status: string, plan: string): Promise<Page<Tenant>> {
  const needle = name.toLowerCase();
  const found: Tenant[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < SEARCH_PAGES && found.length < 100; page++) {
    const result = await call<Page<Tenant>>("GET", "/v1/tenants", { query: { status, plan, limit: 100, cursor: cursor ?? undefined } });
    found.push(...result.data.filter((tenant) => tenant.name.toLowerCase().includes(needle)));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return { data: found, nextCursor: null };
}

export function Tenants() {
  const [status, setStatus] = useState("");
  const [plan, setPlan] = useState("");
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  // Cursors of the pages before this one, for "Previous".
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(
    () => (query ? searchByName(query, status, plan) : call<Page<Tenant>>("GET", "/v1/tenants", { query: { status, plan, limit: PAGE_SIZE, cursor } })),
    [status, plan, cursor, query],
  );
  const resetPaging = () => setCursors([undefined]);
  return (
    <section>
      <div class="title-row">
        <h1>Tenants</h1>
        <Button variant="primary" onClick={() => navigate("/tenants/new")}>
          Create tenant
        </Button>
      </div>
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          resetPaging();
          setQuery(search.trim());
        }}
      >
        <label>
          Name
          <input type="search" value={search} placeholder="Search by name" onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <label>
          Status
          <select aria-label="Status" value={status} onChange={(e) => { resetPaging(); setStatus(e.currentTarget.value); }}>
            {STATUSES.map((value) => (
              <option key={value} value={value}>{value || "any"}</option>
            ))}
          </select>
        </label>
        <label>
          Plan
          <select aria-label="Plan" value={plan} onChange={(e) => { resetPaging(); setPlan(e.currentTarget.value); }}>
            {PLANS.map((value) => (
              <option key={value} value={value}>{value || "any"}</option>
            ))}
          </select>
        </label>
        <Button type="submit">Search</Button>
      </form>
      <ErrorBox error={page.error} />
      {page.loading && <Loading what="tenants" />}
      {page.data && (
        <>
          <div class="table-wrap">
            <table class="tenants">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Isolation</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {page.data.data.map((tenant) => (
                  <tr key={tenant.id}>
                    <td>
                      <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link>
                      <div class="muted mono">{tenant.id}</div>
                    </td>
                    <td><StatusBadge status={tenant.status} /></td>
                    <td>{tenant.plan}</td>
                    <td>{tenant.isolation}</td>
                    <td>{formatTime(tenant.createdAt)}</td>
                  </tr>
                ))}
                {page.data.data.length === 0 && (
                  <tr>
                    <td colSpan={5} class="muted">No tenants match.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          {query ? (
            <p class="muted">Name search over the newest {SEARCH_PAGES * 100} tenants matching the filters.</p>
          ) : (
            <div class="pager">
              <Button disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous
              </Button>
              <span class="muted">Page {cursors.length}</span>
              <Button disabled={!page.data.nextCursor} onClick={() => setCursors([...cursors, page.data!.nextCursor!])}>
                Next
              </Button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
