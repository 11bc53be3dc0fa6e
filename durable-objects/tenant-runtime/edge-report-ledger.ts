/**
 * Ids of the tally batches edge isolates reported (src/edge/edge-tally.ts). An edge resends a
 * batch whose call failed, not knowing whether it arrived; the id makes the second arrival count
 * nothing. Kept in SQLite (an eviction between the two must not count twice) for ten minutes, far
 * longer than an edge keeps retrying.
 */
const KEEP_MS = 10 * 60_000;

/** Old ids are swept at most this often: a report per busy second must not scan the table each time. */
const SWEEP_EVERY_MS = 10_000;

export class EdgeReportLedger {
  private sweptAt = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`create table if not exists edge_reports (id text primary key, at integer not null)`);
    sql.exec(`create index if not exists edge_reports_at on edge_reports (at)`);
  }

  /** True the first time `id` is seen: the caller counts the batch then, and only then. */
  accept(id: string, now = Date.now()): boolean {
    if (now - this.sweptAt >= SWEEP_EVERY_MS) {
      this.sweptAt = now;
      this.sql.exec(`delete from edge_reports where at < ?`, now - KEEP_MS);
    }
    return this.sql.exec(`insert into edge_reports (id, at) values (?, ?) on conflict (id) do nothing`, id, now).rowsWritten > 0;
  }
}
